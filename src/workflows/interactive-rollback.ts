/** Runbook "Method 2: Interactive Rollback": a person picks the release from a numbered list and confirms. */
import type { ProcedureInput } from '../domain/procedure-types';
import { Procedure } from './procedure-state';
import type { RollbackResult } from './steps/finish-rollback';
import { runOwned } from './steps/owned';
import { rollBackToRelease } from './steps/roll-back-to-release';

export async function interactiveRollback(
  input: ProcedureInput & { choiceTimeoutSeconds?: number },
): Promise<RollbackResult> {
  const p: Procedure = new Procedure('interactive-rollback', input.stack.name);
  return runOwned(p, input, { handOver: 'rollback-failed' }, () =>
    rollBackToRelease(p, input, async (candidates) => {
      if (candidates.length === 0) p.fail(`no release of ${input.stack.name} to roll back to`, 'NoRelease');
      const decision = await p.ask('choose-release', 'Enter backup number to rollback to', input.requestedBy, {
        releases: candidates,
        timeoutSeconds: input.choiceTimeoutSeconds ?? 3600,
      });
      if (decision.kind === 'timeout' || !decision.releaseId) p.fail('no release was chosen', 'NoDecision');
      return decision.releaseId;
    }),
  );
}
