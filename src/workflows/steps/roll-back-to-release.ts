import { workflowInfo } from '@temporalio/workflow';
import { releaseBackupTick } from '../../domain/checklist';
import type { ProcedureInput } from '../../domain/procedure-types';
import type { ReleaseSummary } from '../../domain/release';
import { LikelyTarget, rollbackCandidates } from '../../domain/release-rules';
import { hostActivities, releaseRecorder } from '../activities';
import { requestKey, type Procedure } from '../procedure-state';
import { openIncident } from './announce';
import { completeRollback, RollbackResult } from './finish-rollback';
import { restoreAndVerify } from './restore-and-verify';
import { restoreRelease, targetRelease } from './restore-release';

/** Chooses the target among the candidates (newest first, known-bad and the current state left out). */
export type PickRelease = (candidates: ReleaseSummary[], all: ReleaseSummary[]) => Promise<string>;

/** The rollback shared by the quick, interactive, specific-version and remote methods. */
export async function rollBackToRelease(
  p: Procedure,
  input: ProcedureInput,
  pick: PickRelease,
  likely?: LikelyTarget,
): Promise<RollbackResult> {
  const { stack } = input;
  const docker = hostActivities(stack);
  const sinceUnix = Math.floor(Date.now() / 1000);
  p.record('incident logged', input.reason);
  await openIncident(p, stack, input.reason, { kind: 'started', message: input.reason });

  // The backup, the release list, the error-log capture and the likely target's read: one activity.
  const prep = await p.step('back up current state', () =>
    releaseRecorder(stack).prepareRollback(stack, {
      reason: `state before ${p.state.procedure}: ${input.reason}`,
      requestKey: requestKey('current'),
      likely,
      beganAt: workflowInfo().startTime.toISOString(),
    }),
  );
  const { current, releases: all } = prep;
  const backup = releaseBackupTick(current, stack);
  p.tick('Backup of current state created', backup.state, backup.note);
  p.errorLines.push(...prep.errorLines.slice(-50));
  const candidates = rollbackCandidates(all, {
    excluding: current ? [current.id] : [],
    currentFingerprint: current?.fingerprint,
  });
  const targetId = await p.step('identify rollback version', () => pick(candidates, all));
  p.setReleases(current?.id, targetId);
  p.tick('Rollback version identified', 'done', targetId);

  const target = await targetRelease(p, stack, targetId, prep.likely);
  return restoreAndVerify(p, input, {
    sinceUnix,
    restore: () => restoreRelease(p, stack, target, { errorLinesCaptured: true }),
    restoreFailed: (error) => `release ${targetId} did not come up healthy: ${error}`,
    afterRestoreFailed: (error) =>
      docker.markRelease(stack, targetId, { knownBad: `rollback to it failed: ${error}` }, workflowInfo().workflowId),
    complete: (verification) =>
      completeRollback(p, input, verification, { from: current?.id, to: targetId }, sinceUnix),
  });
}
