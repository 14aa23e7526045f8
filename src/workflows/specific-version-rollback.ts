/** Runbook "Method 3: Specific Version Rollback" (and Method 4, the remote trigger, which starts this same workflow). */
import type { ProcedureInput } from '../domain/procedure-types';
import { explicitTargetConcern } from '../domain/release-rules';
import { Procedure } from './procedure-state';
import type { RollbackResult } from './steps/finish-rollback';
import { runOwned } from './steps/owned';
import { rollBackToRelease } from './steps/roll-back-to-release';

/** How long a person has to confirm a release that is known-bad or was rolled back from. */
const CONFIRM_SECONDS = 3600;

export async function specificVersionRollback(input: ProcedureInput & { releaseId: string }): Promise<RollbackResult> {
  const p: Procedure = new Procedure('specific-version-rollback', input.stack.name);
  return runOwned(p, input, { handOver: 'rollback-failed' }, () =>
    rollBackToRelease(
      p,
      input,
      async (_candidates, all) => {
        const wanted = all.find((r) => r.id === input.releaseId);
        if (!wanted) p.fail(`unknown release ${input.releaseId} for stack ${input.stack.name}`, 'UnknownRelease');
        const concern = explicitTargetConcern(wanted);
        if (concern) {
          // Named by a person, so theirs to decide; but nothing goes back to a bad state unasked.
          const d = await p.ask('confirm-step', `${concern}: roll back to it anyway?`, input.requestedBy, {
            timeoutSeconds: CONFIRM_SECONDS,
          });
          if (d.kind === 'timeout') p.fail(`${concern}; not confirmed, nothing was changed`, 'NotConfirmed');
        }
        return wanted.id;
      },
      { id: input.releaseId },
    ),
  );
}
