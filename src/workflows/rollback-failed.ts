/**
 * Runbook emergency "Rollback Failed": gather information, force-recreate, try older releases one at a
 * time (skipping known-bad ones), then escalate to the infrastructure team.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { ProcedureInput } from '../domain/procedure-types';
import { rollbackCandidates } from '../domain/release-rules';
import { hostActivities } from './activities';
import { runOwned, rethrowIfStopped } from './steps/owned';
import { Procedure } from './procedure-state';
import { announce, openIncident } from './steps/announce';
import { EscalatedResult, escalateAndFinish } from './steps/escalate';
import { attemptRecovery } from './steps/attempt-recovery';
import { completeRollback, messageOf, RollbackResult } from './steps/finish-rollback';
import { replaceStack, restoreRelease } from './steps/restore-release';

export interface RollbackFailedInput extends ProcedureInput {
  triedReleases: string[];
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

  // Force restart: the same containers, recreated from scratch with a longer grace period.
  const last = input.triedReleases[0];
  if (last) {
    const release = await docker.getRelease(stack, last);
    p.setReleases(undefined, last);
    const forced = await attempt('force restart', () =>
      replaceStack(
        p,
        stack,
        release.services,
        `${last}:forced:${workflowInfo().runId.slice(0, 8)}`,
        stack.timeouts.healthWaitSeconds,
      ),
    );
    if (forced) return forced;
    await docker.markRelease(stack, last, { knownBad: 'force restart did not make it healthy' });
  }

  // Older versions, one at a time.
  const all = await docker.listReleases(stack);
  const older = rollbackCandidates(all, { excluding: input.triedReleases, olderThan: last }).slice(
    0,
    input.olderReleaseLimit ?? stack.emergency.olderReleaseLimit,
  );
  for (const r of older) {
    const release = await docker.getRelease(stack, r.id);
    p.setReleases(undefined, r.id);
    const done = await attempt(`rollback to older release ${r.id}`, () => restoreRelease(p, stack, release));
    if (done) return done;
    await docker.markRelease(stack, r.id, { knownBad: 'rollback to it failed during the rollback-failed procedure' });
  }

  await announce(stack, p.state.procedure, 'escalated', `all rollbacks failed; escalating to infrastructure team`);
  const tried = [...input.triedReleases, ...older.map((r) => r.id)].join(', ') || 'none';
  const escalated = await escalateAndFinish(
    p,
    stack,
    INFRASTRUCTURE_LEVEL,
    `all rollbacks of ${stack.name} failed (tried ${tried}); evidence in ${info.dir}`,
  );
  return { ...escalated, evidence: info.dir };
}
