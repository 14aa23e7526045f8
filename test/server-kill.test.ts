/**
 * The Temporal dev server the whole run shares is SIGKILLed mid-rollback and restarted on its SQLite file:
 * the rollback completes. It runs alone (`npm test`'s second pass): every other file uses that server.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { upFixtureStack } from '../src/fixtures/stack';
import { spawnDevServer, waitForTemporal } from './harness/dev-server';
import { containersOf, createTestEnv, FAST_TIMEOUTS, harnessState, TestEnv } from './harness/env';
import { STATE_FILE, TEST_DIR } from './harness/paths';
import { recordGoodRelease } from './harness/releases';
import { waitFor } from './harness/waits';
import { spawnWorker, WorkerProcess } from './harness/worker-process';

let env: TestEnv;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  env = await createTestEnv('server-kill', { roles: [] });
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
});

test('the Temporal server is killed mid-rollback and restarted on the same database; the rollback completes', async () => {
  const state = harnessState();
  if (!state.pid)
    throw new Error(
      'this test restarts the dev server the harness started; it cannot run against LIFELINE_TEST_TEMPORAL_ADDRESS',
    );
  const stack = env.stack('server-kill', {
    ports: [19405, 19406],
    services: ['godot', 'api'],
    config: { timeouts: { ...FAST_TIMEOUTS, activityHeartbeatSeconds: 2 } },
  });
  // A worker in its own process, as a host runs it: it reconnects to the restarted server by itself.
  worker = await spawnWorker({ host: env.host, taskQueue: env.taskQueue, configFile: env.configFile });
  const good = await recordGoodRelease(env, stack, 'v2.4.9');
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  const handle = await env.start('quick-rollback', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'server dies',
  });
  await waitFor(
    async () =>
      (await handle.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'replaceWithRelease')
        ? true
        : undefined,
    'the swap to start',
  );
  // The server writes through SQLite's write-ahead log (src/config/dev-server.ts): the kill must lose nothing.
  expect(existsSync(`${state.dbFile}-wal`)).toBe(true);
  process.kill(state.pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 1000));
  const port = Number(state.address.split(':')[1]);
  const child = spawnDevServer({
    port,
    uiPort: state.uiPort,
    dbFile: state.dbFile,
    logFile: path.join(TEST_DIR, 'temporal.log'),
  });
  writeFileSync(STATE_FILE, JSON.stringify({ ...state, pid: child.pid }));
  await waitForTemporal(state.address, 60_000);
  expect(await handle.result()).toMatchObject({ status: 'completed', toRelease: good.id });
  for (const s of stack.services) expect(await containersOf(env.docker, 'server-kill', s.name)).toHaveLength(1);
});
