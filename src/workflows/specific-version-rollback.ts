/** Runbook "Method 3: Specific Version Rollback" (and Method 4, the remote trigger, which starts this same workflow). */
import type { ProcedureInput } from '../domain/procedure-types';
import { Procedure } from './procedure-state';
import type { RollbackResult } from './steps/finish-rollback';
import { runOwned } from './steps/owned';
import { rollBackToRelease } from './steps/roll-back-to-release';

export async function specificVersionRollback(input: ProcedureInput & { releaseId: string }): Promise<RollbackResult> {
  const p: Procedure = new Procedure('specific-version-rollback', input.stack.name);
  return runOwned(p, input, { handOver: 'rollback-failed' }, () =>
    rollBackToRelease(
      p,
      input,
      async (_candidates, all) => {
        const wanted = all.find((r) => r.id === input.releaseId);
        if (!wanted) p.fail(`unknown release ${input.releaseId} for stack ${input.stack.name}`, 'UnknownRelease');
        return wanted.id;
      },
      { id: input.releaseId },
    ),
  );
}
