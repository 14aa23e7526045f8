/** Starts and stops a real Temporal dev server for the tests (also used by fault tests that restart it). */
import { Connection } from '@temporalio/client';
import { ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../../src/domain/search-attributes';
import { TEMPORAL_BIN } from './paths';

export async function waitForTemporal(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const c = await Connection.connect({ address, connectTimeout: '1s' });
      await c.healthService.check({});
      await c.close();
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `Temporal dev server at ${address} did not become healthy in ${timeoutMs} ms: ${(last as Error)?.message}`,
  );
}

export function spawnDevServer(opts: { port: number; uiPort: number; dbFile: string; logFile: string }): ChildProcess {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--db-filename',
    opts.dbFile,
    '--log-level',
    'warn',
  ];
  for (const a of SEARCH_ATTRIBUTE_DECLARATIONS) args.push('--search-attribute', a);
  const log = openSync(opts.logFile, 'a');
  const child = spawn(TEMPORAL_BIN, args, { stdio: ['ignore', log, log], detached: true });
  child.unref();
  return child;
}
