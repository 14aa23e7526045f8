/** Follows a running procedure through its progress query: steps as they happen, elapsed time, pending decisions. */
import type { WorkflowHandle } from '@temporalio/client';
import type { ProcedureProgress } from '../domain/procedure';
import { progressQuery } from '../workflows/definitions';
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

/** Prints timeline entries as they appear until the workflow closes, then returns its result (or throws its failure). */
export async function follow<T>(out: Output, handle: WorkflowHandle, opts: { quiet?: boolean } = {}): Promise<T> {
  const started = Date.now();
  let printed = 0;
  let lastHint = '';
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  });
  const elapsed = () => colour.dim(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`);
  const printNew = async () => {
    const p = await readProgress(handle);
    if (!p || opts.quiet) return;
    for (; printed < p.timeline.length; printed++) {
      const e = p.timeline[printed];
      out.info(`${elapsed()} ${shown(e.step)}${e.detail ? colour.dim(` — ${shown(e.detail)}`) : ''}`);
    }
    const hint = decisionHint(handle.workflowId, p);
    if (hint && hint !== lastHint) out.info(colour.yellow(hint));
    lastHint = hint;
  };
  while (!done) {
    await printNew();
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, POLL_MS))]);
  }
  await printNew();
  return result as Promise<T>;
}
