/**
 * Each incident's time to healthy, one JSON line per procedure in <dataDir>/recoveries.jsonl: written by the
 * worker that writes the incident report, read by the API for its /metrics histogram (same data folder).
 */
import { appendFileSync, closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

export interface RecoveryRecord {
  workflowId: string;
  stack: string;
  procedure: string;
  toHealthySeconds: number;
  at: string;
}

const fileOf = (dataDir: string) => path.join(dataDir, 'recoveries.jsonl');

/** One line, appended whole (a retried report appends it again: readers keep the first per workflow). */
export function appendRecovery(dataDir: string, record: RecoveryRecord): void {
  appendFileSync(fileOf(dataDir), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** The whole lines written since byte `offset`, and the offset after them (a line still being written waits). */
export function readRecoveries(dataDir: string, offset: number): { records: RecoveryRecord[]; offset: number } {
  const file = fileOf(dataDir);
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return { records: [], offset };
  }
  if (size <= offset) return { records: [], offset: size < offset ? 0 : offset };
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  const text = buf.toString('utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const records = complete
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as RecoveryRecord];
      } catch {
        return [];
      }
    });
  return { records, offset: offset + Buffer.byteLength(complete) };
}
