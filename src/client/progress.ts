/** Follows a running procedure through its progress query: steps as they happen, elapsed time, pending decisions. */
import type { WorkflowHandle } from '@temporalio/client';
import type { MonitoringWindow, ProcedureProgress } from '../domain/procedure-types';
import { recoveryLine, recoveryOf } from '../domain/recovery';
import { monitoringWindowQuery, progressQuery } from '../workflows/definitions';
import { colour, Output, shown } from './output';

const POLL_MS = 300;

export async function readProgress(handle: WorkflowHandle): Promise<ProcedureProgress | undefined> {
  try {
    return await handle.query(progressQuery);
  } catch {
    return undefined; // not started on a worker yet, or no worker answering queries
  }
}

export function decisionHint(workflowId: string, p: ProcedureProgress): string {
  const pending = p.pending;
  if (!pending) return '';
  const cmd = {
    ack: `lifeline ack ${workflowId} --as <name>`,
    approval: `lifeline approve|deny ${workflowId} --as <name> --reason "..."`,
    'choose-release': `lifeline choose ${workflowId} <release-id> --as <name>`,
    'confirm-step': `lifeline confirm ${workflowId} --as <name> --reason "..."`,
  }[pending.kind];
  return `waiting for ${pending.waitingFor}: ${pending.prompt}${pending.options ? ` [${pending.options.join(', ')}]` : ''}\n  answer with: ${cmd}`;
}

/** The monitoring window one of `ids` (default: the running children of `handle`) is in, if any. */
async function monitoringWindow(handle: WorkflowHandle, ids?: string[]): Promise<MonitoringWindow | undefined> {
  const children =
    ids ?? ((await handle.describe().catch(() => undefined))?.raw.pendingChildren ?? []).map((c) => c.workflowId ?? '');
  for (const id of children.filter(Boolean)) {
    const window = await handle.client
      .getHandle(id)
      .query(monitoringWindowQuery)
      .catch(() => undefined);
    if (window) return window;
  }
  return undefined;
}

/** "verification monitoring: 25 s left of 30 s · 4 samples · 0 failures", changing once a second at most. */
export function windowLine(w: MonitoringWindow, now = Date.now()): string {
  const left = Math.max(0, Math.ceil((Date.parse(w.endsAt) - now) / 1000));
  return `${w.name}: ${left} s left of ${w.seconds} s · ${w.samples} sample(s) · ${w.failures} failure(s)`;
}

/** Prints timeline entries as they appear until the workflow closes, then returns its result (or throws its failure). */
export async function follow<T>(
  out: Output,
  handle: WorkflowHandle,
  opts: { quiet?: boolean; window?: boolean } = {},
): Promise<T> {
  const started = Date.now();
  let printed = 0;
  let lastHint = '';
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  });
  const elapsed = () => colour.dim(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`);
  let lastWindow = '';
  let last: ProcedureProgress | undefined;
  const printNew = async () => {
    if (opts.quiet) return;
    const p = await readProgress(handle);
    last = p ?? last;
    if (p) {
      for (; printed < p.timeline.length; printed++) {
        const e = p.timeline[printed];
        out.info(`${elapsed()} ${shown(e.step)}${e.detail ? colour.dim(` — ${shown(e.detail)}`) : ''}`);
      }
      const hint = decisionHint(handle.workflowId, p);
      if (hint && hint !== lastHint) out.info(colour.yellow(hint));
      lastHint = hint;
    }
    // A monitoring window is long and otherwise silent: count it down, with samples and failures so far.
    if (p?.step === 'verify' || opts.window) {
      const window = await monitoringWindow(handle, opts.window ? [handle.workflowId] : undefined);
      const line = window ? windowLine(window) : '';
      if (line && line !== lastWindow) out.info(`${elapsed()} ${colour.dim(line)}`);
      lastWindow = line;
    }
  };
  while (!done) {
    await printNew();
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, POLL_MS))]);
  }
  await printNew();
  // How long each phase of the recovery took, against the RTO.
  const recovery = last && recoveryOf(last.timeline);
  if (recovery?.phases.length) out.info(`${elapsed()} phases: ${recoveryLine(recovery)}`);
  return result as Promise<T>;
}
