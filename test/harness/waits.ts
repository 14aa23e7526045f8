/** Polling helpers for tests that watch a procedure from outside, as an operator would. */
import type { WorkflowHandle } from '@temporalio/client';
import type { DecisionKind, ProcedureProgress } from '../../src/domain/procedure-types';
import { progressQuery } from '../../src/workflows/definitions';

export async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Waits until the procedure asks for a decision of `kind` (and, if given, from `waitingFor`). */
export function waitForPending(
  handle: WorkflowHandle,
  kind: DecisionKind,
  waitingFor?: string,
  timeoutMs = 60_000,
): Promise<ProcedureProgress> {
  return waitFor(
    async () => {
      const p = await handle.query(progressQuery);
      return p.pending?.kind === kind && (!waitingFor || p.pending.waitingFor === waitingFor) ? p : undefined;
    },
    `${kind}${waitingFor ? ` from ${waitingFor}` : ''}`,
    timeoutMs,
  );
}
