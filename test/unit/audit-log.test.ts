/** The audit file: appended, rotated by size, read back across rotations, a torn line skipped, a retry counted once. */
import { mkdtempSync, readdirSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditRecord } from '../../src/domain/audit';
import { appendAudit, readAudit } from '../../src/store/audit-log';

const record = (workflowId: string, at: string, outcome = 'completed'): AuditRecord => ({
  workflowId,
  stack: 'shop',
  procedure: 'quick-rollback',
  reason: 'bad',
  outcome,
  decisions: [],
  phases: [],
  report: `/r/${workflowId}.md`,
  at,
});

test('rotation keeps every record; ranges filter; a retried write counts once, its last; a torn line is skipped', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-'));
  appendAudit(dir, record('a', '2026-12-01T10:00:00Z'), 4096);
  appendAudit(dir, { ...record('b', '2026-12-02T10:00:00Z'), reason: 'x'.repeat(5000) }, 4096);
  appendAudit(dir, record('c', '2026-12-03T10:00:00Z'), 4096); // rotates: the file passed 4 KiB
  appendAudit(dir, record('a', '2026-12-04T10:00:00Z', 'completed again'), 4096); // a retried report
  appendFileSync(path.join(dir, 'audit', 'audit.jsonl'), '{"workflowId":"torn",'); // a crash mid-append
  expect(readdirSync(path.join(dir, 'audit')).length).toBeGreaterThanOrEqual(2);
  expect(readAudit(dir).map((r) => [r.workflowId, r.outcome])).toEqual([
    ['b', 'completed'],
    ['c', 'completed'],
    ['a', 'completed again'],
  ]);
  expect(
    readAudit(dir, { since: new Date('2026-12-02T00:00:00Z'), until: new Date('2026-12-04T00:00:00Z') }).map(
      (r) => r.workflowId,
    ),
  ).toEqual(['b', 'c']);
  expect(readAudit(path.join(dir, 'none'))).toEqual([]);
});
