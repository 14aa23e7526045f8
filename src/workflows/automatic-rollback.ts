/**
 * Runbook "Automatic Rollback": a guarded deploy. It records the running release, rolls out the new image
 * tag, and on any trigger (a container exits, health does not come within the bound, smoke tests fail)
 * runs the automatic flow: alert, stop new version, restore previous config, start previous version,
 * wait for health, verify; and on failure the rollback-failed emergency procedure.
 */
import { sleep, workflowInfo } from '@temporalio/workflow';
import { releaseBackupTick } from '../domain/checklist';
import type { ProcedureInput } from '../domain/procedure-types';
import { hostActivities, releaseRecorder } from './activities';
import { runOwned, rethrowIfStopped } from './steps/owned';
import { Procedure, requestKey } from './procedure-state';
import { openIncident } from './steps/announce';
import { completeRollback, messageOf } from './steps/finish-rollback';
import { restoreAndVerify } from './steps/restore-and-verify';
import type { RollbackResult } from './steps/finish-rollback';
import { replaceStack, requireImages, restoreRelease } from './steps/restore-release';

export interface DeployResult {
  status: 'deployed' | 'rolled-back';
  release: string;
  imageTag: string;
  trigger?: string;
  rollback?: RollbackResult;
}

/**
 * Like an Argo Rollouts analysis run: until `deployHealthSeconds` from the deploy's start, the stack's
 * Prometheus checks (the runbook's conditions) are evaluated every `monitorIntervalSeconds`; the first that
 * fails is the rollback trigger, with the values measured.
 */
async function watchMetrics(p: Procedure, stack: ProcedureInput['stack'], deployStartedMs: number): Promise<void> {
  const until = deployStartedMs + stack.timeouts.deployHealthSeconds * 1000;
  const interval = Math.max(1, stack.timeouts.monitorIntervalSeconds) * 1000;
  await p.step(`watch metrics until ${stack.timeouts.deployHealthSeconds}s after the deploy`, async () => {
    for (;;) {
      const failed = (await hostActivities(stack).queryPrometheus(stack)).filter((c) => !c.passed);
      if (failed.length) throw new Error(`metrics: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`);
      if (Date.now() + interval > until) return;
      await sleep(interval);
    }
  });
}

export async function automaticRollback(input: ProcedureInput & { imageTag: string }): Promise<DeployResult> {
  const p: Procedure = new Procedure('automatic-rollback', input.stack.name);
  return runOwned(p, input, { handOver: 'rollback-failed' }, () => automaticRollbackSteps(p, input));
}

async function automaticRollbackSteps(
  p: Procedure,
  input: ProcedureInput & { imageTag: string },
): Promise<DeployResult> {
  const { stack } = input;
  const docker = hostActivities(stack);
  const sinceUnix = Math.floor(Date.now() / 1000);
  const deployStartedMs = Date.now();
  // Not marked known-good: running is no verification. It keeps what earlier verifications found about its state.
  const previous = await p.step('record current release', () =>
    releaseRecorder(stack).recordRelease(stack, {
      reason: `before deploy of ${input.imageTag}`,
      requestKey: requestKey('previous'),
    }),
  );
  if (!previous)
    p.fail(
      `no container of ${stack.name} exists; deploy needs a running stack to take the spec from`,
      'NothingRunning',
    );
  const release = await docker.getRelease(stack, previous.id);
  const label = `deploy:${input.imageTag}`;
  const source = { release: release.id, imageTag: input.imageTag, label };
  await requireImages(p, stack, source);

  let trigger: string;
  try {
    const evidence = await p.step(`deploy ${input.imageTag}`, async () => {
      // Moving forward: the state left is not recorded as rolled back from.
      const forward = { movesForward: true };
      const health = await replaceStack(p, stack, release, source, stack.timeouts.deployHealthSeconds, forward);
      const smoke = await docker.runSmokeTests(stack);
      const failed = smoke.filter((c) => !c.passed);
      if (failed.length)
        throw new Error(`smoke tests failed: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`);
      return [`${health.healthy}/${health.total} services healthy`, `${smoke.length} smoke test(s) passed`];
    });
    if (stack.prometheus) {
      await watchMetrics(p, stack, deployStartedMs);
      evidence.push(`metrics passed until ${stack.timeouts.deployHealthSeconds}s after the deploy`);
    }
    // Known-good from this procedure's own checks of it: health, smoke tests and, when configured, metrics.
    const deployed = await releaseRecorder(stack).recordRelease(stack, {
      reason: `deployed ${input.imageTag}`,
      requestKey: requestKey('deployed'),
      knownGood: { evidence: `deploy verified: ${evidence.join(', ')}`, by: workflowInfo().workflowId },
    });
    p.finish('completed', `deployed ${input.imageTag}`);
    return { status: 'deployed', release: deployed?.id ?? previous.id, imageTag: input.imageTag };
  } catch (err) {
    rethrowIfStopped(p, err);
    trigger = messageOf(err);
  }

  // Automatic rollback flow.
  p.record('deployment failed', trigger);
  await openIncident(p, stack, trigger, {
    kind: 'alert',
    message: `deploy of ${input.imageTag} failed: ${trigger}; rolling back to ${previous.id}`,
  });
  const failedState = await releaseRecorder(stack).recordRelease(stack, {
    reason: `failed deploy of ${input.imageTag}: ${trigger}`,
    requestKey: requestKey('failed'),
  });
  const backup = releaseBackupTick(failedState, stack);
  p.tick('Backup of current state created', backup.state, backup.note);
  p.setReleases(failedState?.id, previous.id);
  p.tick('Rollback version identified', 'done', previous.id);
  return restoreAndVerify(p, input, {
    sinceUnix,
    restore: () => restoreRelease(p, stack, release),
    restoreFailed: (error) => `previous release ${previous.id} did not come back: ${error}`,
    complete: async (verification): Promise<DeployResult> => {
      const rollback = await completeRollback(
        p,
        { ...input, reason: `deploy of ${input.imageTag} failed: ${trigger}` },
        verification,
        { from: failedState?.id, to: previous.id },
        sinceUnix,
      );
      return { status: 'rolled-back', release: previous.id, imageTag: input.imageTag, trigger, rollback };
    },
  });
}
