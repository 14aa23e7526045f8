/** Runbook "Post-Rollback Actions": confirm, monitor, notify stakeholders, write the incident report. */
import { log, sleep } from '@temporalio/workflow';
import type { ResolvedStack } from '../domain/config';
import type { ChecklistEntry } from '../domain/checklist';
import type { IncidentReport, TimelineEntry } from '../domain/incident';
import type { Decision } from '../domain/procedure-types';
import { hostActivities, orchestration } from './activities';
import { announce } from './steps/announce';
import { messageOf } from './steps/messages';
import { EscalatedResult, escalateAndFinish } from './steps/escalate';
import { Procedure } from './procedure-state';
import { closeWindow, openWindow } from './steps/monitoring-window';
import { requireProcedureParent } from './steps/procedure-child';

export interface PostRollbackInput {
  stack: ResolvedStack;
  rollbackWorkflowId: string;
  procedure: string;
  trigger?: string;
  requestedBy?: string;
  reason: string;
  outcome: string;
  fromRelease?: string;
  toRelease?: string;
  timeline: TimelineEntry[];
  checklist: ChecklistEntry[];
  /** Error lines of the replaced version, captured before its containers were removed. */
  errorLines: { service: string; line: string }[];
  decisions?: Decision[];
  sinceUnix?: number;
}

export interface PostRollbackResult {
  smokePassed: boolean;
  monitorFailures: string[];
  reportPath: string;
  githubIssue?: string;
  /** Set when monitoring saw problems: who took the escalation. */
  escalated?: EscalatedResult;
}

export async function postRollbackActions(input: PostRollbackInput): Promise<PostRollbackResult> {
  requireProcedureParent(input?.stack);
  const { stack } = input;
  const docker = hostActivities(stack);
  // 1. Confirm rollback success.
  const smoke = await docker.runSmokeTests(stack);
  const smokePassed = smoke.every((c) => c.passed);
  // 2. Monitor the system.
  const monitorFailures: string[] = [];
  const interval = Math.max(1, stack.timeouts.monitorIntervalSeconds);
  const window = openWindow('post-rollback monitoring', stack.timeouts.postRollbackMonitorSeconds);
  // The watch covers the runbook's metrics too (error rate, p95), when the stack has Prometheus checks.
  const watchMetrics = stack.prometheus !== undefined && stack.timeouts.postRollbackMonitorSeconds > 0;
  for (let waited = 0; waited < stack.timeouts.postRollbackMonitorSeconds; waited += interval) {
    await sleep(`${Math.min(interval, stack.timeouts.postRollbackMonitorSeconds - waited)}s`);
    const states = await docker.inspectStack(stack);
    for (const s of states)
      if (!s.running || s.health === 'unhealthy') monitorFailures.push(`${s.service} ${s.status}/${s.health}`);
    if (watchMetrics)
      for (const c of await docker.queryPrometheus(stack))
        if (!c.passed) monitorFailures.push(`${c.name} (${c.detail})`);
    window.samples++;
    window.failures = monitorFailures.length;
  }
  closeWindow();
  // 3. Notify stakeholders.
  const update = await announce(
    stack,
    input.procedure,
    'completed',
    `status update: ${input.outcome}; ${smokePassed ? 'smoke tests pass' : 'smoke tests FAIL'}; monitoring ${monitorFailures.length ? `saw ${monitorFailures.length} problem(s)` : 'clean'}`,
  );
  // 4. Create the incident report. "Stakeholders updated" only on the evidence that someone accepted the update.
  const updated =
    'accepted' in update
      ? { state: 'done' as const, note: `${update.accepted} target(s) accepted` }
      : { state: 'skipped' as const, note: update.skipped };
  const checklist = input.checklist.map((e) =>
    e.item === 'Stakeholders updated'
      ? { ...e, ...updated }
      : e.item === 'Incident report created'
        ? { ...e, state: 'done' as const }
        : e,
  );
  const report: IncidentReport = {
    workflowId: input.rollbackWorkflowId,
    stack: stack.name,
    procedure: input.procedure,
    trigger: input.trigger,
    requestedBy: input.requestedBy,
    reason: input.reason,
    outcome: monitorFailures.length
      ? `${input.outcome}; post-rollback monitoring saw: ${monitorFailures.slice(0, 10).join(', ')}`
      : input.outcome,
    fromRelease: input.fromRelease,
    toRelease: input.toRelease,
    timeline: input.timeline,
    checklist,
    decisions: input.decisions,
    errorLines: [...input.errorLines, ...(await docker.scanErrorLogs(stack, input.sinceUnix))],
  };
  const reportPath = await orchestration.writeIncidentReport(stack, report);
  let githubIssue: string | undefined;
  if (stack.github) {
    try {
      githubIssue = await orchestration.createGithubIssue(stack, report);
    } catch (err) {
      // Recorded where people look, not only logged.
      const note = `GitHub issue not created: ${messageOf(err)}`;
      await orchestration.noteInIncidentReport(stack, input.rollbackWorkflowId, note).catch(() => log.warn(note)); // the report itself is unreachable: the log is all that is left
    }
  }
  // The runbook's next step when the system does not stay well after a rollback: people, through the escalation path.
  const escalation = new Procedure('post-rollback-actions', stack.name);
  escalation.reachPeopleOf(stack);
  const escalated = monitorFailures.length
    ? await escalation.runAbortable(() =>
        escalateAndFinish(
          escalation,
          stack,
          1,
          `after ${input.rollbackWorkflowId}, post-rollback monitoring of ${stack.name} saw: ${monitorFailures.slice(0, 10).join(', ')}`,
        ),
      )
    : undefined;
  return { smokePassed, monitorFailures, reportPath, githubIssue, escalated };
}
