/** What the audit trail keeps of a procedure: who started it, who decided what and when, releases, phases, outcome. */
import type { IncidentReport } from './incident';
import type { Decision } from './procedure-types';
import type { Recovery, RecoveryPhase } from './recovery';

/** The report's who, why and outcome, with the decisions' essentials, the recovery and where the report is. */
export type AuditRecord = Pick<
  IncidentReport,
  'workflowId' | 'stack' | 'procedure' | 'trigger' | 'requestedBy' | 'reason' | 'outcome' | 'fromRelease' | 'toRelease'
> & {
  decisions: Pick<Decision, 'kind' | 'by' | 'at' | 'approved' | 'releaseId' | 'channel' | 'authenticated'>[];
  phases: Pick<RecoveryPhase, 'phase' | 'ms'>[];
  toHealthySeconds?: number;
  report: string;
  at: string;
};

export function auditRecordOf(report: IncidentReport, recovery: Recovery | undefined, reportFile: string): AuditRecord {
  return {
    workflowId: report.workflowId,
    stack: report.stack,
    procedure: report.procedure,
    trigger: report.trigger,
    requestedBy: report.requestedBy,
    reason: report.reason,
    outcome: report.outcome,
    fromRelease: report.fromRelease,
    toRelease: report.toRelease,
    decisions: (report.decisions ?? []).map(({ kind, by, at, approved, releaseId, channel, authenticated }) => ({
      kind,
      by,
      at,
      approved,
      releaseId,
      channel,
      authenticated,
    })),
    phases: (recovery?.phases ?? []).map(({ phase, ms }) => ({ phase, ms })),
    toHealthySeconds: recovery?.toHealthyMs === undefined ? undefined : recovery.toHealthyMs / 1000,
    report: reportFile,
    at: report.timeline.at(-1)?.at ?? new Date().toISOString(),
  };
}
