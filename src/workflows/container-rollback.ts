/** Runbook "Method 5: Container Rollback": recreate the services with a previous image tag (IMAGE_TAG=v2.4.9). */
import { releaseBackupTick } from '../domain/checklist';
import type { ProcedureInput } from '../domain/procedure-types';
import { hostActivities, releaseRecorder } from './activities';
import { runOwned } from './steps/owned';
import { Procedure, requestKey } from './procedure-state';
import { openIncident } from './steps/announce';
import { completeRollback, RollbackResult } from './steps/finish-rollback';
import { restoreAndVerify } from './steps/restore-and-verify';
import { replaceStack, requireImages } from './steps/restore-release';

export async function containerRollback(input: ProcedureInput & { imageTag: string }): Promise<RollbackResult> {
  const p: Procedure = new Procedure('container-rollback', input.stack.name);
  return runOwned(p, input, { handOver: 'rollback-failed' }, () => containerRollbackSteps(p, input));
}

async function containerRollbackSteps(
  p: Procedure,
  input: ProcedureInput & { imageTag: string },
): Promise<RollbackResult> {
  const { stack } = input;
  const docker = hostActivities(stack);
  const sinceUnix = Math.floor(Date.now() / 1000);
  await openIncident(p, stack, input.reason, {
    kind: 'started',
    message: `${input.reason} (to image tag ${input.imageTag})`,
  });
  const current = await p.step('back up current state', () =>
    releaseRecorder(stack).recordRelease(stack, {
      reason: `state before container rollback: ${input.reason}`,
      requestKey: requestKey('current'),
    }),
  );
  if (!current)
    p.fail(
      `no container of ${stack.name} exists to take the spec from; use a release rollback instead`,
      'NothingRunning',
    );
  const backup = releaseBackupTick(current, stack);
  p.tick('Backup of current state created', backup.state, backup.note);
  const release = await docker.getRelease(stack, current.id);
  const source = { release: release.id, imageTag: input.imageTag, label: `image:${input.imageTag}` };
  await requireImages(p, stack, source);
  p.setReleases(current.id, `image:${input.imageTag}`);
  p.tick('Rollback version identified', 'done', `image tag ${input.imageTag}`);
  return restoreAndVerify(p, input, {
    sinceUnix,
    restore: () => replaceStack(p, stack, release, source, stack.timeouts.healthWaitSeconds),
    restoreFailed: (error) => `image tag ${input.imageTag} did not come up healthy: ${error}`,
    complete: async (verification) => {
      // Recorded as it runs now; completeRollback marks it known-good from this verification.
      const after = await releaseRecorder(stack).recordRelease(stack, {
        reason: `image-tag rollback to ${input.imageTag}`,
        requestKey: requestKey('after'),
      });
      return completeRollback(
        p,
        input,
        verification,
        { from: current.id, to: after?.id, label: `image:${input.imageTag}` },
        sinceUnix,
      );
    },
  });
}
