import {
  admit,
  busyMessage,
  EndedProcedure,
  heldMessage,
  isHoldAudience,
  StackHold,
  nextInQueue,
  OWNED_PROCEDURES,
  priorityOf,
  recentMessage,
  REPEAT_GUARD_SECONDS,
  RunningProcedure,
} from '../../src/domain/ownership';

const running = (procedure: RunningProcedure['procedure']): RunningProcedure => ({
  workflowId: `${procedure}:s:20261126-101500`,
  procedure,
  requestedBy: 'alice',
  trigger: 'cli',
  startedAt: '2026-11-26T10:15:00.000Z',
});

test('the runbook priority order: breach > corruption > outage > rollback-failed > rollbacks and deploys > backup', () => {
  const order = [
    'security-breach',
    'data-corruption',
    'complete-service-outage',
    'rollback-failed',
    'quick-rollback',
    'backup',
  ] as const;
  for (let i = 1; i < order.length; i++) expect(priorityOf(order[i - 1])).toBeGreaterThan(priorityOf(order[i]));
  for (const m of [
    'interactive-rollback',
    'specific-version-rollback',
    'container-rollback',
    'blue-green-rollback',
    'automatic-rollback',
  ] as const) {
    expect(priorityOf(m)).toBe(priorityOf('quick-rollback'));
  }
  expect(OWNED_PROCEDURES).toHaveLength(11);
});

test('admission: free starts, same key joins, equal or lower is refused or queued, higher preempts', () => {
  expect(admit({ procedure: 'quick-rollback', whenBusy: 'refuse' }, undefined, undefined)).toBe('started');
  expect(
    admit({ procedure: 'quick-rollback', whenBusy: 'refuse' }, running('quick-rollback'), 'quick-rollback:s:1'),
  ).toBe('joined');
  expect(admit({ procedure: 'quick-rollback', whenBusy: 'refuse' }, running('quick-rollback'), undefined)).toBe('busy');
  expect(admit({ procedure: 'quick-rollback', whenBusy: 'queue' }, running('quick-rollback'), undefined)).toBe(
    'queued',
  );
  expect(admit({ procedure: 'backup', whenBusy: 'refuse' }, running('security-breach'), undefined)).toBe('busy');
  expect(admit({ procedure: 'security-breach', whenBusy: 'refuse' }, running('quick-rollback'), undefined)).toBe(
    'preempting',
  );
  expect(admit({ procedure: 'rollback-failed', whenBusy: 'refuse' }, running('data-corruption'), undefined)).toBe(
    'busy',
  );
});

test('the queue runs the highest priority first, then first come', () => {
  expect(nextInQueue([])).toBe(-1);
  expect(
    nextInQueue([{ procedure: 'backup' }, { procedure: 'quick-rollback' }, { procedure: 'container-rollback' }]),
  ).toBe(1);
  expect(nextInQueue([{ procedure: 'quick-rollback' }, { procedure: 'security-breach' }])).toBe(1);
});

test('a refusal names the holder, who started it and when, its step, and how to follow it', () => {
  const m = busyMessage('s', running('quick-rollback'), 'wait for health (20s)');
  expect(m).toBe(
    'stack s is busy: quick-rollback quick-rollback:s:20261126-101500 started by alice (cli) at 2026-11-26T10:15:00.000Z, now at "wait for health (20s)". ' +
      'Follow it with: lifeline status quick-rollback:s:20261126-101500; or ask again with --queue to run after it',
  );
});

const ended = (
  procedure: EndedProcedure['procedure'],
  status: EndedProcedure['status'] = 'completed',
): EndedProcedure => ({
  workflowId: `${procedure}:s:20261126-101500`,
  procedure,
  requestedBy: 'alice',
  trigger: 'cli',
  status,
  endedAt: '2026-11-26T10:15:30.000Z',
});
const endedMs = Date.parse('2026-11-26T10:15:30.000Z');

test('a quick rollback right after a completed change is refused unless forced; later, or after anything else, it starts', () => {
  const quick = { procedure: 'quick-rollback', whenBusy: 'refuse' } as const;
  const soon = endedMs + 20_000;
  expect(admit(quick, undefined, undefined, { ended: ended('quick-rollback'), nowMs: soon })).toBe('recent');
  expect(admit(quick, undefined, undefined, { ended: ended('rollback-failed'), nowMs: soon })).toBe('recent');
  expect(admit({ ...quick, force: true }, undefined, undefined, { ended: ended('quick-rollback'), nowMs: soon })).toBe(
    'started',
  );
  const later = endedMs + REPEAT_GUARD_SECONDS * 1000;
  expect(admit(quick, undefined, undefined, { ended: ended('quick-rollback'), nowMs: later })).toBe('started');
  // A failed or cancelled one changed nothing for certain; a deploy or a backup is what a rollback undoes.
  for (const last of [
    ended('quick-rollback', 'failed'),
    ended('quick-rollback', 'cancelled'),
    ended('automatic-rollback'),
    ended('backup'),
  ])
    expect(admit(quick, undefined, undefined, { ended: last, nowMs: soon })).toBe('started');
  // An explicit target does not move with the running release.
  for (const procedure of ['specific-version-rollback', 'container-rollback', 'blue-green-rollback'] as const)
    expect(
      admit({ procedure, whenBusy: 'refuse' }, undefined, undefined, { ended: ended('quick-rollback'), nowMs: soon }),
    ).toBe('started');
  // A repeat of the same request still joins; a busy stack is still busy.
  expect(admit(quick, undefined, 'known', { ended: ended('quick-rollback'), nowMs: soon })).toBe('joined');
  expect(admit(quick, running('container-rollback'), undefined, { ended: ended('quick-rollback'), nowMs: soon })).toBe(
    'busy',
  );
});

test('the refusal of a repeat says what completed, when, by whom, and how to go on', () => {
  expect(recentMessage('s', ended('quick-rollback'), endedMs + 12_400)).toBe(
    'stack s was changed 12 s ago: quick-rollback quick-rollback:s:20261126-101500 requested by alice (cli) completed at 2026-11-26T10:15:30.000Z. ' +
      'A quick rollback now would roll back further, past what it restored. ' +
      'Check it with: lifeline status quick-rollback:s:20261126-101500; to roll back further anyway, ask again with --force',
  );
});

const hold: StackHold = {
  procedure: 'security-breach',
  workflowId: 'emergency:security-breach:s:20261205-100000',
  since: '2026-12-05T10:05:00.000Z',
  reason: 'security breach: forensics still running',
  audience: 'security team',
};

test('a held stack admits nothing that changes containers, whatever the priority, queue or force; a backup still records', () => {
  for (const procedure of OWNED_PROCEDURES.filter((p) => p !== 'backup' && p !== 'security-breach')) {
    for (const whenBusy of ['refuse', 'queue'] as const) {
      expect(admit({ procedure, whenBusy, force: true }, undefined, undefined, undefined, hold)).toBe('held');
      expect(admit({ procedure, whenBusy }, running('backup'), undefined, undefined, hold)).toBe('held');
    }
  }
  expect(admit({ procedure: 'backup', whenBusy: 'refuse' }, undefined, undefined, undefined, hold)).toBe('started');
  // A backup that would vouch for the state is refused; a breach passes any hold a breach did not set.
  expect(admit({ procedure: 'backup', whenBusy: 'refuse', vouches: true }, undefined, undefined, undefined, hold)).toBe(
    'held',
  );
  expect(admit({ procedure: 'security-breach', whenBusy: 'refuse' }, undefined, undefined, undefined, hold)).toBe(
    'held',
  );
  const stopped = { ...hold, procedure: 'data-corruption' as const, audience: 'senior ops' };
  expect(admit({ procedure: 'security-breach', whenBusy: 'refuse' }, undefined, undefined, undefined, stopped)).toBe(
    'started',
  );
  expect(admit({ procedure: 'quick-rollback', whenBusy: 'refuse' }, undefined, undefined, undefined, stopped)).toBe(
    'held',
  );
  // The same request asked again still joins what it started before the hold.
  expect(admit({ procedure: 'quick-rollback', whenBusy: 'refuse' }, undefined, 'w-1', undefined, hold)).toBe('joined');
});

test('the refusal names the hold, since when, and how it is lifted; only its audience lifts it', () => {
  const m = heldMessage('s', hold);
  expect(m).toContain(hold.workflowId);
  expect(m).toContain('forensics still running');
  expect(m).toContain(hold.since);
  expect(m).toContain('lifeline lift s --audience "security team"');
  expect(isHoldAudience(hold, ' Security Team ')).toBe(true);
  expect(isHoldAudience(hold, 'on-call engineer')).toBe(false);
});
