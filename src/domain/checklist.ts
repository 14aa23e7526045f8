/** The runbook's rollback checklist, as data a workflow ticks and a query returns. */
export const CHECKLIST = {
  'pre-rollback': [
    'Incident logged',
    'Stakeholders notified',
    'Rollback version identified',
    'Backup of current state created',
  ],
  'rollback-execution': ['Rollback initiated', 'Progress monitored', 'No errors during rollback', 'Services restarted'],
  'post-rollback-verification': [
    'All containers healthy',
    'Smoke tests pass',
    'HTTP API responding',
    'Error rate normalized',
    'Response time normal',
    'No data loss',
    'Metrics look good',
  ],
  'post-rollback-actions': [
    'Stakeholders updated',
    'Incident report created',
    'Root cause analysis started',
    'Fix tested in staging',
    'Runbooks updated',
    'Post-mortem scheduled',
  ],
} as const;

export type ChecklistPhase = keyof typeof CHECKLIST;
export type ChecklistItem = (typeof CHECKLIST)[ChecklistPhase][number];
export type ItemState = 'pending' | 'done' | 'failed' | 'skipped';
export interface ChecklistEntry {
  phase: ChecklistPhase;
  item: ChecklistItem;
  state: ItemState;
  note?: string;
}

export function newChecklist(): ChecklistEntry[] {
  return (Object.keys(CHECKLIST) as ChecklistPhase[]).flatMap((phase) =>
    CHECKLIST[phase].map((item) => ({ phase, item, state: 'pending' as ItemState })),
  );
}

export function mark(list: ChecklistEntry[], item: ChecklistItem, state: ItemState, note?: string): void {
  for (const e of list) if (e.item === item) Object.assign(e, { state, note });
}

export function renderChecklist(list: readonly ChecklistEntry[]): string {
  const box: Record<ItemState, string> = { pending: '[ ]', done: '[x]', failed: '[!]', skipped: '[-]' };
  const lines: string[] = [];
  let phase = '';
  for (const e of list) {
    if (e.phase !== phase) {
      phase = e.phase;
      lines.push(`${phase.toUpperCase().replace(/-/g, ' ')}:`);
    }
    lines.push(`${box[e.state]} ${e.item}${e.note ? ` (${e.note})` : ''}`);
  }
  return lines.join('\n');
}
