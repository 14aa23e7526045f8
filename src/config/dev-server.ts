/** The Temporal dev server's command line, the same for `npm start`, the tests and the benchmarks. */
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../domain/search-attributes';

/**
 * The dev server keeps all its state in one SQLite file behind a single connection, so every write waits
 * for the one before it. SQLite's default rollback journal syncs the disk several times per commit; a
 * write-ahead log with `synchronous=NORMAL` appends instead (measured here: 140 → 220-280 writes/s, about
 * what the in-memory store does). A crash of the server process loses no committed write; a power loss may
 * lose the last few, never corrupt the file. A production cluster (TEMPORAL_ADDRESS) has its own database.
 */
export const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

export interface DevServerOptions {
  port: number;
  uiPort: number;
  dbFile: string;
  /** The Web UI decodes Lifeline's encrypted payloads through this endpoint. */
  uiCodecEndpoint?: string;
}

export function devServerArgs(o: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port), '--ui-port', String(o.uiPort)];
  args.push('--db-filename', o.dbFile, '--log-level', 'warn');
  for (const pragma of SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
  for (const a of SEARCH_ATTRIBUTE_DECLARATIONS) args.push('--search-attribute', a);
  if (o.uiCodecEndpoint) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);
  return args;
}
