import { executeChild, ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { postRollbackActions } from '../post-rollback-actions';
import { rollbackVerification } from '../rollback-verification';
import type { ProcedureInput } from '../../domain/procedure-types';
import type { VerificationReport } from '../../domain/verification';
import { hostActivities } from '../activities';
import type { Procedure } from '../procedure-state';
import { announce } from './announce';

export { messageOf } from './messages';

export interface RollbackResult {
  status: 'completed';
  fromRelease?: string;
  toRelease: string;
  verification: VerificationReport;
  postActionsWorkflowId: string;
}

/** Runs verification as a child workflow and ticks the checklist from its report. */
export async function verify(p: Procedure, input: ProcedureInput, sinceUnix: number): Promise<VerificationReport> {
  const report = await p.step('verify', () =>
    executeChild(rollbackVerification, {
      args: [{ stack: input.stack, sinceUnix }],
      workflowId: `${workflowInfo().workflowId}:verify:${p.state.timeline.length}`,
    }),
  );
  const ok = (prefix: string) => report.checks.filter((c) => c.name.startsWith(prefix));
  const tickFrom = (item: Parameters<Procedure['tick']>[0], checks: { passed: boolean }[]) =>
    p.tick(item, checks.length === 0 ? 'skipped' : checks.every((c) => c.passed) ? 'done' : 'failed');
  tickFrom('All containers healthy', ok('containers healthy'));
  tickFrom('Smoke tests pass', ok('smoke:'));
  tickFrom('HTTP API responding', ok('status API'));
  tickFrom('Metrics look good', ok('metric:'));
  tickFrom(
    'Error rate normalized',
    ok('metric:').filter((c) => /error/i.test(JSON.stringify(c))),
  );
  tickFrom(
    'Response time normal',
    ok('metric:').filter((c) => /latency|duration|response/i.test(JSON.stringify(c))),
  );
  p.record('verification', `${report.passed ? 'passed' : 'FAILED'}: ${report.healthy}`);
  return report;
}

/** A verified rollback: remember which releases are good and bad, keep retention, start the post-rollback actions. */
export async function completeRollback(
  p: Procedure,
  input: ProcedureInput,
  verification: VerificationReport,
  releases: { from?: string; to?: string; label?: string },
  sinceUnix: number,
): Promise<RollbackResult> {
  const { stack } = input;
  const docker = hostActivities(stack);
  const target = releases.label ?? releases.to ?? 'unknown';
  const by = workflowInfo().workflowId;
  await docker.settleReleases(stack, {
    by,
    knownBad: releases.from ? { id: releases.from, reason: 'rolled back from, and the rollback verified' } : undefined,
    knownGood: releases.to ? { id: releases.to, evidence: `verified: ${verification.healthy}` } : undefined,
  });
  // Announced before the post-rollback actions take the timeline: a notice that failed is in the report.
  await announce(stack, p, 'completed', `rolled back to ${target}: ${verification.healthy}`);
  const postId = `${workflowInfo().workflowId}:post-actions`;
  p.reportFollows = true;
  await startChild(postRollbackActions, {
    workflowId: postId,
    parentClosePolicy: ParentClosePolicy.ABANDON,
    args: [
      {
        stack,
        rollbackWorkflowId: workflowInfo().workflowId,
        procedure: p.state.procedure,
        trigger: input.trigger,
        requestedBy: input.requestedBy,
        reason: input.reason,
        outcome: 'rolled back and verified',
        fromRelease: releases.from,
        toRelease: target,
        timeline: p.state.timeline,
        checklist: p.state.checklist,
        decisions: p.state.decisions,
        errorLines: p.errorLines,
        sinceUnix,
      },
    ],
  });
  p.finish('completed', verification.healthy);
  return {
    status: 'completed',
    fromRelease: releases.from,
    toRelease: target,
    verification,
    postActionsWorkflowId: postId,
  };
}

/**
 * The runbook's "Failed ──→ Emergency Procedure": the rollback-failed procedure takes over in its own
 * workflow (it outlives this one), and this workflow fails saying where to look.
 */
export async function escalateFailedRollback(p: Procedure, input: ProcedureInput, why: string): Promise<never> {
  // The stack owner starts rollback-failed the moment this procedure reports its end.
  p.followUp = rollbackFailedHandOver(p, input, `rollback failed: ${why}`);
  const { workflowId } = p.followUp;
  await announce(input.stack, p, 'failed', `${why}; emergency procedure ${workflowId} takes over`);
  p.fail(`rollback failed: ${why}; emergency procedure ${workflowId} takes over`, 'RollbackFailed');
}

/** The rollback-failed procedure that takes over, told what was tried and which state was left behind. */
export function rollbackFailedHandOver(
  p: Procedure,
  input: ProcedureInput,
  why: string,
): NonNullable<Procedure['followUp']> {
  return {
    procedure: 'rollback-failed',
    workflowId: rollbackFailedWorkflowId(input),
    args: {
      ...input,
      reason: `${input.reason}; ${why}`,
      triedReleases: [...p.triedReleases],
      leaving: p.leftState,
      handedOverBy: workflowInfo().workflowId,
    },
  };
}

/** The rollback-failed procedure that follows this rollback: one per failed rollback, named after it. */
export const rollbackFailedWorkflowId = (input: ProcedureInput): string =>
  `emergency:rollback-failed:${input.stack.name}:${workflowInfo().workflowId.replace(/[^A-Za-z0-9:_-]/g, '_')}`;

/** "verification failed: smoke: api ready (status 503, expected 200); ..." */
export const verificationFailure = (v: VerificationReport): string =>
  `verification failed: ${v.checks
    .filter((c) => !c.passed)
    .map((c) => `${c.name} (${c.detail})`)
    .join('; ')}`;
