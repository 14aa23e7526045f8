/**
 * A worker restarted with a changed config file while a procedure runs: the procedure keeps the config
 * version it pinned (the worker's record in its data folder), so its activities are not refused and it completes.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { MonitoringWindow } from '../src/domain/procedure-types';
import { upFixtureStack } from '../src/fixtures/stack';
import { monitoringWindowQuery } from '../src/workflows/definitions';
import type { PostRollbackResult } from '../src/workflows/post-rollback-actions';
import type { RollbackResult } from '../src/workflows/steps/finish-rollback';
import { createTestEnv, FAST_TIMEOUTS, TestEnv } from './harness/env';
import { recordGoodRelease } from './harness/releases';
import { waitFor } from './harness/waits';
import { spawnWorker, WorkerProcess } from './harness/worker-process';

const NAME = 'restarted';
const PORTS = [16441, 16442];
const MONITOR_SECONDS = 10;
// A short heartbeat timeout: an activity the kill interrupts is retried on the new worker within seconds.
const TIMEOUTS = { ...FAST_TIMEOUTS, activityHeartbeatSeconds: 2, monitorSeconds: MONITOR_SECONDS };
let env: TestEnv;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  // No worker in this process: the one in its own process reads the env's config file, as in production.
  env = await createTestEnv('config-restart', { roles: [] });
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
});

const startWorker = async () =>
  (worker = await spawnWorker({ host: env.host, taskQueue: env.taskQueue, configFile: env.configFile }));

/** The verification window of the rollback's running child, once it is open. */
const verificationWindow = (handle: WorkflowHandle): Promise<MonitoringWindow> =>
  waitFor(
    async () => {
      for (const c of (await handle.describe()).raw.pendingChildren ?? []) {
        const window = await env.client.workflow
          .getHandle(c.workflowId!)
          .query(monitoringWindowQuery)
          .catch(() => undefined);
        if (window) return window;
      }
      return undefined;
    },
    'the verification window',
    60_000,
  );

test('a worker restarted with a changed config inside the verification window: the rollback completes on the version it pinned', async () => {
  const stack = env.stack(NAME, { ports: PORTS, services: ['godot', 'api'], config: { timeouts: TIMEOUTS } });
  await startWorker();
  const good = await recordGoodRelease(env, stack);
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  const handle = await env.start('quick-rollback', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'bad deploy',
  });

  const window = await verificationWindow(handle);
  worker!.kill();
  // The operator changes the stack's settings while no worker runs; the restarted one reads the new file.
  env.stack(NAME, {
    ports: PORTS,
    services: ['godot', 'api'],
    config: { timeouts: TIMEOUTS, errorLogLines: 50 },
  });
  await startWorker();

  const result = (await handle.result()) as RollbackResult;
  expect(result).toMatchObject({ status: 'completed', toRelease: good.id });
  expect(result.verification.passed).toBe(true);
  // Samples were taken after the restart, by the worker holding the changed file.
  expect(window.samples).toBeLessThan(MONITOR_SECONDS);
  expect(result.verification.monitorSamples).toBe(MONITOR_SECONDS);
  // The post-rollback actions, started after the restart, run on the same pinned version and write the report.
  const post = (await env.client.workflow.getHandle(result.postActionsWorkflowId).result()) as PostRollbackResult;
  expect(post.smokePassed).toBe(true);
  expect(post.reportPath).toContain(`/incidents/${NAME}/`);
});
