/** Runbook "Escalation Path", on its own: notify a level, wait for its acknowledgement, move up on silence. */
import { CancellationScope } from '@temporalio/workflow';
import type { ResolvedStack, StackRef } from '../domain/config';
import type { ProcedureInput } from '../domain/procedure-types';
import { pinStack } from './owner/stack-settings';
import { Procedure } from './procedure-state';
import { openIncident } from './steps/announce';
import { EscalatedResult, escalateAndFinish } from './steps/escalate';

export async function escalation(
  input: Omit<ProcedureInput, 'stack'> & { stack: StackRef & Partial<ResolvedStack>; fromLevel?: number },
): Promise<EscalatedResult> {
  const p: Procedure = new Procedure('escalation', input.stack.name);
  try {
    return await p.runAbortable(async () => {
      // Who is paged comes from the worker's config; a request naming other contacts is refused.
      const stack = await pinStack(input.stack);
      p.reachPeopleOf(stack);
      await openIncident(p, stack, input.reason);
      return escalateAndFinish(p, stack, input.fromLevel ?? 1, input.reason);
    });
  } finally {
    await CancellationScope.nonCancellable(() => p.endPages());
  }
}
