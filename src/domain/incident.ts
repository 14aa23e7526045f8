/** The incident report's content and its Markdown rendering. */
import { ChecklistEntry, ChecklistItem, renderChecklist } from './checklist';
import type { Decision, HoldRequest } from './procedure-types';
import { recoveryOf, recoveryTable } from './recovery';

export interface TimelineEntry {
  at: string;
  step: string;
  detail?: string;
}

export interface IncidentReport {
  workflowId: string;
  stack: string;
  procedure: string;
  /** What started it (cli, alert, api) and who asked: kept in the audit trail. */
  trigger?: string;
  requestedBy?: string;
  reason: string;
  outcome: string;
  fromRelease?: string;
  toRelease?: string;
  timeline: TimelineEntry[];
  checklist: ChecklistEntry[];
  errorLines: { service: string; line: string }[];
  /** People's answers: who, when, why. */
  decisions?: Decision[];
  /** The stack was left held: why, and who alone lifts it. */
  hold?: HoldRequest;
}

/** The timeline step of a notice or page nobody received; the report lists these apart, so no reader misses them. */
export const NOTICE_NOT_SENT = 'notice not sent';

/** How a decision came: a link or the API vouched for its person; one sent straight to Temporal names anyone. */
const decidedVia = (d: Decision): string =>
  d.kind === 'timeout' ? '' : d.authenticated ? ` via ${d.channel}` : ' (unauthenticated, straight to Temporal)';

/** The runbook's follow-ups that people do: open in every report until someone does them. */
const PEOPLE_ITEMS: readonly ChecklistItem[] = [
  'Root cause analysis started',
  'Fix tested in staging',
  'Runbooks updated',
  'Post-mortem scheduled',
];

/** One line of text: control characters (newlines and carriage returns included) cannot forge report lines. */
export const oneLine = (s: string | undefined): string => (s ?? '').replace(LINE_BREAKING, ' ');
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `chart`: the file name of the recovery chart beside the report, when one was drawn. */
export function renderIncidentReport(raw: IncidentReport, chart?: string): string {
  const r = {
    ...raw,
    reason: oneLine(raw.reason),
    outcome: oneLine(raw.outcome),
    fromRelease: raw.fromRelease && oneLine(raw.fromRelease),
    toRelease: raw.toRelease && oneLine(raw.toRelease),
  };
  const recovery = recoveryOf(r.timeline);
  const timeline = r.timeline
    .map((t) => `- ${oneLine(t.at)} ${oneLine(t.step)}${t.detail ? `: ${oneLine(t.detail)}` : ''}`)
    .join('\n');
  const decisions = (r.decisions ?? [])
    .map(
      (d) =>
        `- ${oneLine(d.at)} ${oneLine(d.kind)}${d.approved === undefined ? '' : d.approved ? ' (approved)' : ' (denied)'} by ${oneLine(d.by)}${decidedVia(d)}${d.releaseId ? ` for release ${oneLine(d.releaseId)}` : ''}: ${oneLine(d.reason) || '(no reason given)'}`,
    )
    .join('\n');
  const notSent = r.timeline
    .filter((t) => t.step === NOTICE_NOT_SENT)
    .map((t) => `- ${oneLine(t.at)} ${oneLine(t.detail)}`)
    .join('\n');
  const open = r.checklist
    .filter((e) => PEOPLE_ITEMS.includes(e.item) && e.state === 'pending')
    .map((e) => `- [ ] ${e.item}`)
    .join('\n');
  const errors = r.errorLines.length
    ? r.errorLines.map((e) => `    [${oneLine(e.service)}] ${oneLine(e.line)}`).join('\n')
    : '    (none)';
  return [
    `# Production Rollback: ${r.reason}`,
    '',
    `- Stack: ${r.stack}`,
    `- Procedure: ${r.procedure} (workflow ${r.workflowId})`,
    `- Outcome: ${r.outcome}`,
    ...(r.hold
      ? [`- Stack left held: ${oneLine(r.hold.reason)}; only the ${oneLine(r.hold.audience)} lifts it (lifeline lift)`]
      : []),
    `- Release moved from: ${r.fromRelease ?? 'unknown'}`,
    `- Release moved to: ${r.toRelease ?? 'unknown'}`,
    '',
    '## Recovery time',
    recovery ? recoveryTable(recovery) : '- (no timeline)',
    ...(chart ? ['', `![Recovery timeline](${chart})`] : []),
    '',
    '## Timeline',
    timeline || '- (empty)',
    '',
    '## Decisions',
    decisions || '- (none)',
    '',
    '## Notices not sent',
    notSent || '- (none)',
    '',
    '## Open items for people',
    open || '- (none)',
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
