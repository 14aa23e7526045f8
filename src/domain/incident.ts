/** The incident report's content and its Markdown rendering. */
import { ChecklistEntry, renderChecklist } from './checklist';

export interface TimelineEntry {
  at: string;
  step: string;
  detail?: string;
}

export interface IncidentReport {
  workflowId: string;
  stack: string;
  procedure: string;
  reason: string;
  outcome: string;
  fromRelease?: string;
  toRelease?: string;
  timeline: TimelineEntry[];
  checklist: ChecklistEntry[];
  errorLines: { service: string; line: string }[];
}

export function renderIncidentReport(r: IncidentReport): string {
  const timeline = r.timeline.map((t) => `- ${t.at} ${t.step}${t.detail ? `: ${t.detail}` : ''}`).join('\n');
  const errors = r.errorLines.length ? r.errorLines.map((e) => `    [${e.service}] ${e.line}`).join('\n') : '    (none)';
  return [
    `# Production Rollback: ${r.reason}`,
    '',
    `- Stack: ${r.stack}`,
    `- Procedure: ${r.procedure} (workflow ${r.workflowId})`,
    `- Outcome: ${r.outcome}`,
    `- Release moved from: ${r.fromRelease ?? 'unknown'}`,
    `- Release moved to: ${r.toRelease ?? 'unknown'}`,
    '',
    '## Timeline',
    timeline || '- (empty)',
    '',
    '## Error lines since the deploy',
    errors,
    '',
    '## Checklist',
    '```',
    renderChecklist(r.checklist),
    '```',
    '',
  ].join('\n');
}
