import type { ProcedureInput } from '../../domain/procedure';
import { rollbackCandidates, ReleaseSummary } from '../../domain/release';
import { hostActivities, releaseRecorder } from '../activities';
import { requestKey, type Procedure } from '../procedure';
import { announceAndTick } from './announce';
import {
  completeRollback,
  escalateFailedRollback,
  messageOf,
  verificationFailure,
  RollbackResult,
  verify,
} from './finish-rollback';
import { rethrowIfStopped } from './owned';
import { requireImages, restoreRelease } from './restore-release';

/** Chooses the target among the candidates (newest first, known-bad and the current state left out). */
export type PickRelease = (candidates: ReleaseSummary[], all: ReleaseSummary[]) => Promise<string>;

/** The rollback shared by the quick, interactive, specific-version and remote methods. */
export async function rollBackToRelease(
  p: Procedure,
  input: ProcedureInput,
  pick: PickRelease,
): Promise<RollbackResult> {
  const { stack } = input;
  const docker = hostActivities(stack);
  const sinceUnix = Math.floor(Date.now() / 1000);
  p.record('incident logged', input.reason);
  p.tick('Incident logged');
  await announceAndTick(p, 'Stakeholders notified', stack, 'started', input.reason);

  const current = await p.step('back up current state', () =>
    releaseRecorder(stack).recordRelease(stack, {
      reason: `state before ${p.state.procedure}: ${input.reason}`,
      requestKey: requestKey('current'),
    }),
  );
  p.tick(
    'Backup of current state created',
    current ? 'done' : 'skipped',
    current ? current.id : 'no container was running',
  );

  const all = await docker.listReleases(stack);
  const candidates = rollbackCandidates(all, {
    excluding: current ? [current.id] : [],
    currentFingerprint: current?.fingerprint,
  });
  const targetId = await p.step('identify rollback version', () => pick(candidates, all));
  p.setReleases(current?.id, targetId);
  p.tick('Rollback version identified', 'done', targetId);

  const target = await docker.getRelease(stack, targetId);
  await requireImages(p, stack, target.services);
  try {
    await restoreRelease(p, stack, target);
  } catch (err) {
    rethrowIfStopped(p, err);
    p.tick('No errors during rollback', 'failed', messageOf(err));
    await docker.markRelease(stack, targetId, { knownBad: `rollback to it failed: ${messageOf(err)}` });
    return escalateFailedRollback(p, input, `release ${targetId} did not come up healthy: ${messageOf(err)}`, [
      targetId,
    ]);
  }
  p.tick('No errors during rollback');
  const verification = await verify(p, input, sinceUnix);
  if (!verification.passed) return escalateFailedRollback(p, input, verificationFailure(verification), [targetId]);
  return completeRollback(p, input, verification, { from: current?.id, to: targetId }, sinceUnix);
}
