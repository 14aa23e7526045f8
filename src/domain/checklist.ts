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

/** A checklist item's state, judged from evidence, and why. */
export interface Tick {
  state: ItemState;
  note: string;
}

/**
 * "Backup of current state created" from a recorded release (null: no container ran, nothing was recorded).
 * Done only when the release holds every volume the stack archives; a release of containers and config alone
 * is the whole backup of a stack that archives no volumes (`backupVolumes: false`).
 */
export function releaseBackupTick(
  recorded: { id: string; volumes: number } | null | undefined,
  stack: { backupVolumes: boolean; volumes: readonly string[] },
): Tick {
  if (!recorded) return { state: 'skipped', note: 'no container was running: nothing recorded' };
  const expected = stack.backupVolumes ? stack.volumes.length : 0;
  if (recorded.volumes < expected)
    return {
      state: 'failed',
      note: `${recorded.id} holds ${recorded.volumes} of the ${expected} volume(s) the stack archives`,
    };
  if (expected) return { state: 'done', note: `${recorded.id}, with ${expected} volume archive(s)` };
  if (stack.volumes.length)
    return { state: 'done', note: `${recorded.id}: containers and config; volumes are not archived (backupVolumes)` };
  return { state: 'done', note: recorded.id };
}

/**
 * "Backup of current state created" from an emergency snapshot of the stack's volumes: done only when it
 * holds every configured volume, each archive checked against its checksum by the snapshot itself.
 */
export function snapshotTick(
  archived: readonly { volume: string; sha256: string }[],
  configured: readonly string[],
): Tick {
  if (!configured.length) return { state: 'skipped', note: 'no volumes configured: nothing to snapshot' };
  const missing = configured.filter((v) => !archived.some((a) => a.volume === v));
  if (missing.length) return { state: 'failed', note: `not archived: ${missing.join(', ')}` };
  return { state: 'done', note: archived.map((a) => `${a.volume} sha256:${a.sha256.slice(0, 12)}`).join(', ') };
}

/** One item from several pieces of evidence: failed if any failed, else done if any is done, else skipped. */
export function combinedTick(...ticks: Tick[]): Tick {
  const state = ticks.some((t) => t.state === 'failed')
    ? 'failed'
    : ticks.some((t) => t.state === 'done')
      ? 'done'
      : 'skipped';
  return { state, note: ticks.map((t) => t.note).join('; ') };
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
