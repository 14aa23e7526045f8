/** Runbook "Method 1: Quick Rollback Script": back to the newest good release. */
import type { ProcedureInput } from '../domain/procedure-types';
import { Procedure } from './procedure-state';
import type { RollbackResult } from './steps/finish-rollback';
import { runOwned } from './steps/owned';
import { rollBackToRelease } from './steps/roll-back-to-release';

export async function quickRollback(input: ProcedureInput): Promise<RollbackResult> {
  const p: Procedure = new Procedure('quick-rollback', input.stack.name);
  return runOwned(p, input, { handOver: 'rollback-failed' }, () =>
    rollBackToRelease(
      p,
      input,
      async (candidates) => {
        const latest = candidates[0];
        if (!latest)
          p.fail(
            `no release of ${input.stack.name} to roll back to (all are known-bad or equal to the running state)`,
            'NoRelease',
          );
        return latest.id;
      },
      'newest',
    ),
  );
}
