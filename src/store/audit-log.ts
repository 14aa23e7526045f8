/**
 * The audit trail that outlives Temporal's history retention: one JSON line per procedure's end in
 * <dataDir>/audit/audit.jsonl, rotated by size into audit-<time>.jsonl beside it. Read by `lifeline history`.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AuditRecord } from '../domain/audit';

const dirOf = (dataDir: string) => path.join(dataDir, 'audit');
const CURRENT = 'audit.jsonl';

/** Appends one record; past `maxBytes` the file is rotated first, so no file grows without bound. */
export function appendAudit(dataDir: string, record: AuditRecord, maxBytes: number): void {
  const dir = dirOf(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, CURRENT);
  const size = (() => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  })();
  if (size > 0 && size >= maxBytes)
    renameSync(file, path.join(dir, `audit-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`));
  appendFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** Every record in [since, until), oldest first; a procedure written twice (a retried report) counts once, its last. */
export function readAudit(dataDir: string, range: { since?: Date; until?: Date } = {}): AuditRecord[] {
  const dir = dirOf(dataDir);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^audit(-[\dTZ-]+)?\.jsonl$/.test(f));
  } catch {
    return [];
  }
  // Rotated files first (their names sort by time), the current one last.
  files.sort((a, b) => (a === CURRENT ? 1 : b === CURRENT ? -1 : a.localeCompare(b)));
  const byWorkflow = new Map<string, AuditRecord>();
  for (const f of files)
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as AuditRecord;
        byWorkflow.delete(r.workflowId);
        byWorkflow.set(r.workflowId, r);
      } catch {
        // A torn last line (a crash mid-append) is skipped; the records around it stand.
      }
    }
  const inRange = (r: AuditRecord) =>
    (!range.since || Date.parse(r.at) >= range.since.getTime()) &&
    (!range.until || Date.parse(r.at) < range.until.getTime());
  return [...byWorkflow.values()].filter(inRange).sort((a, b) => a.at.localeCompare(b.at));
}
