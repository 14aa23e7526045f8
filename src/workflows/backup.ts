/** `lifeline backup`: records the running stack as a release (the runbook's backups), then applies retention. */
import type { ProcedureInput } from '../domain/procedure-types';
import type { ReleaseSummary } from '../domain/release';
import { hostActivities, releaseRecorder } from './activities';
import { runOwned } from './steps/owned';
import { Procedure, requestKey } from './procedure-state';

export async function backup(
  input: ProcedureInput & { knownGood?: boolean },
): Promise<{ release: ReleaseSummary; pruned: string[] }> {
  const p: Procedure = new Procedure('backup', input.stack.name);
  return runOwned(p, input, { escalateFromLevel: 1 }, () => backupSteps(p, input));
}

async function backupSteps(
  p: Procedure,
  input: ProcedureInput & { knownGood?: boolean },
): Promise<{ release: ReleaseSummary; pruned: string[] }> {
  const { stack } = input;
  const release = await p.step('record release', () =>
    releaseRecorder(stack).recordRelease(stack, {
      reason: input.reason,
      requestKey: requestKey('backup'),
      // A person's word, recorded as theirs: only they vouch for this state.
      knownGood: input.knownGood ? { evidence: `vouched for: ${input.reason}`, by: input.requestedBy } : undefined,
    }),
  );
  if (!release) p.fail(`no container of ${stack.name} exists; nothing to record`, 'NothingRunning');
  const pruned = await p.step('apply retention', () => hostActivities(stack).pruneReleases(stack));
  p.finish('completed', release.id);
  return { release, pruned };
}
