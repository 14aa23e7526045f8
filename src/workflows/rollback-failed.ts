/**
 * Runbook emergency "Rollback Failed": gather information, force-recreate, try older releases one at a
 * time (skipping known-bad ones), then escalate to the infrastructure team.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { ProcedureInput, RollbackFailedHandOver } from '../domain/procedure-types';
import { rollbackFailedPlan } from '../domain/release-rules';
import { hostActivities } from './activities';
import { runOwned, rethrowIfStopped } from './steps/owned';
import { Procedure } from './procedure-state';
import { announce, openIncident } from './steps/announce';
import { EscalatedResult, escalateAndFinish } from './steps/escalate';
import { attemptRecovery } from './steps/attempt-recovery';
import { completeRollback, messageOf, RollbackResult } from './steps/finish-rollback';
import { replaceStack, restoreRelease } from './steps/restore-release';

export interface RollbackFailedInput extends ProcedureInput, RollbackFailedHandOver {
  olderReleaseLimit?: number;
}

export type RollbackFailedResult = RollbackResult | (EscalatedResult & { evidence: string });

const INFRASTRUCTURE_LEVEL = 3;

export async function rollbackFailed(input: RollbackFailedInput): Promise<RollbackFailedResult> {
  const p: Procedure = new Procedure('rollback-failed', input.stack.name);
  return runOwned(p, input, { escalateFromLevel: INFRASTRUCTURE_LEVEL }, () => rollbackFailedSteps(p, input));
}

async function rollbackFailedSteps(p: Procedure, input: RollbackFailedInput): Promise<RollbackFailedResult> {
  const { stack } = input;
  const docker = hostActivities(stack);
  const sinceUnix = Math.floor(Date.now() / 1000);
  await openIncident(p, stack, input.reason);

  // Diagnostics help people; their failure (an engine that is down) must not stop the recovery.
  const info = await p
    .step('gather information', () => docker.collectEvidence(stack, `${workflowInfo().workflowId}-diagnostics`, 200))
    .catch((err) => {
      rethrowIfStopped(p, err);
      p.record('diagnostics unavailable', messageOf(err));
      return { dir: '(none)', files: [] as string[], summary: [] as string[] };
    });
  p.record('diagnostics', info.summary.join('; '));

  const attempt = async (label: string, run: () => Promise<unknown>): Promise<RollbackResult | undefined> => {
    const verification = await attemptRecovery(p, input, label, run, sinceUnix);
    return verification && completeRollback(p, input, verification, { to: p.state.toRelease }, sinceUnix);
  };

  // Never the state the failed procedure left: it carries that state's fingerprint, and the store knows it too.
  const plan = rollbackFailedPlan(await docker.listReleases(stack), {
    tried: input.triedReleases,
    leaving: input.leaving,
    handedOverBy: input.handedOverBy,
    limit: input.olderReleaseLimit ?? stack.emergency.olderReleaseLimit,
  });
  const by = workflowInfo().workflowId;
  // Force restart: the failed target's containers, recreated from scratch with a longer grace period.
  const last = plan.forceRestart;
  if (last) {
    const release = await docker.getRelease(stack, last);
    p.setReleases(undefined, last);
    const forced = await attempt('force restart', () =>
      replaceStack(
        p,
        stack,
        release,
        { release: last, label: `${last}:forced:${workflowInfo().runId.slice(0, 8)}` },
        stack.timeouts.healthWaitSeconds,
        { targetFingerprint: release.fingerprint },
      ),
    );
    if (forced) return forced;
    await docker.markRelease(stack, last, { knownBad: 'force restart did not make it healthy' }, by);
  } else if (input.triedReleases[0]) {
    p.record('no force restart', `${input.triedReleases[0]} is the state left behind, or known-bad`);
  }

  // Older versions, one at a time.
  for (const id of plan.older) {
    const release = await docker.getRelease(stack, id);
    p.setReleases(undefined, id);
    const done = await attempt(`rollback to older release ${id}`, () => restoreRelease(p, stack, release));
    if (done) return done;
    await docker.markRelease(stack, id, { knownBad: 'rollback to it failed during the rollback-failed procedure' }, by);
  }

  await announce(stack, p, 'escalated', `all rollbacks failed; escalating to infrastructure team`);
  // Nothing automatic may try again: the infrastructure team decides what runs next.
  p.hold = {
    reason: `every rollback failed (rollback-failed ${workflowInfo().workflowId})`,
    audience: stack.escalation[INFRASTRUCTURE_LEVEL - 1]?.name ?? 'infrastructure team',
  };
  const tried = [...input.triedReleases, ...plan.older].join(', ') || 'none';
  const escalated = await escalateAndFinish(
    p,
    stack,
    INFRASTRUCTURE_LEVEL,
    `all rollbacks of ${stack.name} failed (tried ${tried}); evidence in ${info.dir}`,
  );
  return { ...escalated, evidence: info.dir };
}
