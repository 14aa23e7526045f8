/** Starts and stops a real Temporal dev server for the tests (also used by fault tests that restart it). */
import { Connection } from '@temporalio/client';
import { ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { devServerArgs, DevServerOptions } from '../../src/config/dev-server';
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

export function spawnDevServer(opts: DevServerOptions & { logFile: string }): ChildProcess {
  const log = openSync(opts.logFile, 'a');
  const child = spawn(TEMPORAL_BIN, devServerArgs(opts), { stdio: ['ignore', log, log], detached: true });
  child.unref();
  return child;
}
