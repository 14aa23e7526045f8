/**
 * Beyond one machine: Lifeline on the production-shaped cluster of `npm run cluster` (the real Temporal
 * server on PostgreSQL, split in a frontend and a history+matching+worker process), with two orchestration
 * workers and one host worker in their own processes, and two API processes. Crashes are SIGKILLs.
 */
import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import axios from 'axios';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ReleaseSummary } from '../src/domain/release';
import { upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import { ownerStateQuery } from '../src/workflows/definitions';
import type { RollbackResult } from '../src/workflows/steps/finish-rollback';
import { API_TOKEN } from './harness/api';
import { onCleanup } from './harness/cleanup';
import { Cluster, startCluster } from './harness/cluster';
import { createTestEnv, TestEnv } from './harness/env';
import { CODEC_ENV, ROOT } from './harness/paths';
import { recordGoodRelease } from './harness/releases';
import { waitFor } from './harness/waits';
import { spawnWorker, WorkerProcess } from './harness/worker-process';

const CLUSTER_PORT = 27400;
const STACK_PORTS = [16191, 16192];
const API_PORTS = [16195, 16196];
const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

let cluster: Cluster;
let env: TestEnv;

beforeAll(async () => {
  cluster = await startCluster(CLUSTER_PORT);
  onCleanup(() => cluster.stop());
  env = await createTestEnv('cluster', { roles: [], address: cluster.address });
  onCleanup(() => env.teardown());
}, 300_000);

/** Lifeline's workers in their own processes: `orchestration` ones share the task queue; one `host` worker. */
async function workers(orchestration: number): Promise<WorkerProcess[]> {
  const started = await Promise.all(
    [...Array(orchestration).keys()].map(() => worker('orchestration')).concat(worker('host')),
  );
  return started.slice(0, orchestration);
}

async function worker(roles: string): Promise<WorkerProcess> {
  const w = await spawnWorker({
    host: env.host,
    taskQueue: env.taskQueue,
    configFile: env.configFile,
    address: cluster.address,
    roles,
    // Every activity waits 500 ms first: wide enough windows for a kill to land mid-rollback.
    chaosDelayMs: 500,
  });
  onCleanup(() => w.stop());
  return w;
}

/** A stack on a recorded good v2.4.9, then broken by a v2.5.0 deploy; `orchestration` workers and one host worker run it. */
async function brokenStack(name: string, orchestration = 2) {
  // The workers read the stack from their own config file: it exists before they start.
  const stack = env.stack(name, { ports: STACK_PORTS, services: ['godot', 'api'] });
  const orchestrators = await workers(orchestration);
  const good = await recordGoodRelease(env, stack);
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  return { stack, good, orchestrators };
}

async function expectRolledBack(stack: ReturnType<TestEnv['stack']>, good: ReleaseSummary): Promise<void> {
  await waitFixtureHealthy(env.docker, stack, 30_000);
  for (const s of stack.services) {
    const info = await env.docker.getContainer(fixtureContainer(stack, s)).inspect();
    expect(info.Config.Labels['lifeline.release']).toBe(good.id);
  }
}

const quickRollback = (stack: ReturnType<TestEnv['stack']>) =>
  env.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'v2.5.0 is broken' });

/** Waits until the rollback runs activity `type` (started, on a worker). */
const inActivity = (handle: WorkflowHandle, type: string) =>
  waitFor(
    async () => {
      const d = await handle.describe();
      return d.raw.pendingActivities?.some((a) => a.activityType?.name === type && a.state === STARTED)
        ? true
        : undefined;
    },
    `activity ${type}`,
    60_000,
  );

/** The identity (pid@host) of the worker that completed each workflow task, in order. */
async function workflowTaskWorkers(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowTaskCompletedEventAttributes?.identity)
    .filter((id): id is string => Boolean(id));
}

test('a quick rollback completes with two orchestration workers and one host worker; a search finds it', async () => {
  const { stack, good } = await brokenStack('clusterquick');
  const handle = await quickRollback(stack);
  const result = (await handle.result()) as RollbackResult;
  expect(result).toMatchObject({ status: 'completed', toRelease: good.id });
  await expectRolledBack(stack, good);
  // PostgreSQL visibility answers Lifeline's search attributes, as the Web UI's search box asks them.
  const found = await waitFor(async () => {
    const ids: string[] = [];
    for await (const w of env.client.workflow.list({
      query: `LifelineStack = "clusterquick" AND LifelineProcedure = "quick-rollback" AND ExecutionStatus = "Completed"`,
    }))
      ids.push(w.workflowId);
    return ids.length ? ids : undefined;
  }, 'the search');
  expect(found).toEqual([handle.workflowId]);
});

test('SIGKILL of the history+matching+worker process mid-rollback, restarted 3 s later: the rollback completes', async () => {
  const { stack, good } = await brokenStack('clusterhistory');
  const handle = await quickRollback(stack);
  await inActivity(handle, 'replaceWithRelease');
  await cluster.killBackend();
  await new Promise((r) => setTimeout(r, 3000));
  cluster.startBackend();
  const result = (await handle.result()) as RollbackResult;
  expect(result).toMatchObject({ status: 'completed', toRelease: good.id });
  await expectRolledBack(stack, good);
  // One container per service: nothing ran twice into a duplicate.
  for (const s of stack.services)
    expect(
      await env.docker.listContainers({ all: true, filters: { name: [fixtureContainer(stack, s)] } }),
    ).toHaveLength(1);
});

test('SIGKILL of the orchestration worker running a rollback: the other finishes it, the dead one stays dead', async () => {
  const {
    stack,
    good,
    orchestrators: [a, b],
  } = await brokenStack('clusterworker');
  const handle = await quickRollback(stack);
  await inActivity(handle, 'waitForStackHealthy');
  // The worker that completed the last workflow task holds the workflow in its cache: kill that one.
  const before = await workflowTaskWorkers(handle);
  // lifeline-<role>/<pid>@<host>
  const pidOf = (identity: string) => Number(/\/(\d+)@/.exec(identity)?.[1]);
  const victim = [a, b].find((w) => w.child.pid === pidOf(before[before.length - 1]))!;
  const survivor = victim === a ? b : a;
  expect(victim).toBeDefined();
  victim.kill();
  const result = (await handle.result()) as RollbackResult;
  expect(result).toMatchObject({ status: 'completed', toRelease: good.id });
  await expectRolledBack(stack, good);
  const after = (await workflowTaskWorkers(handle)).slice(before.length);
  expect(after.length).toBeGreaterThan(0);
  expect(after.every((identity) => pidOf(identity) === survivor.child.pid)).toBe(true);
  expect(victim.child.signalCode).toBe('SIGKILL');
});

test('the same critical alert posted to both API processes leads to exactly one rollback', async () => {
  const { stack, good } = await brokenStack('clusteralert');
  const apis = await Promise.all(API_PORTS.map((port) => apiProcess(port)));
  const alert = {
    version: '4',
    status: 'firing',
    receiver: 'lifeline',
    groupKey: '{}:{alertname="ErrorRateAbove10Percent"}',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    truncatedAlerts: 0,
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'ErrorRateAbove10Percent', stack: stack.name, severity: 'critical' },
        annotations: { summary: 'error rate 40%' },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://127.0.0.1:9090/graph',
        fingerprint: 'cluster-critical',
      },
    ],
  };
  // An Alertmanager HA pair: both members deliver the same notification, to different API replicas, at once.
  const replies = await Promise.all(
    apis.map((url) =>
      axios.post(`${url}/v1/alerts/alertmanager`, alert, { headers: { authorization: `Bearer ${API_TOKEN}` } }),
    ),
  );
  expect(replies.map((r) => r.status)).toEqual([202, 202]);
  const owner = env.client.workflow.getHandle(`stack:${stack.name}`);
  const rollbacks = (started: string[]) => started.filter((id) => id.startsWith('quick-rollback:'));
  const state = await waitFor(
    async () => {
      const s = await owner.query(ownerStateQuery);
      return rollbacks(s.started).length > 0 && !s.running ? s : undefined;
    },
    'the rollback to end',
    120_000,
  );
  expect(rollbacks(state.started)).toHaveLength(1);
  expect(state.deduplicated).toBe(1);
  await expectRolledBack(stack, good);
});

/** Lifeline's HTTP API in its own process, on the cluster. */
async function apiProcess(port: number): Promise<string> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/api/main.js')], {
    env: {
      ...process.env,
      ...CODEC_ENV,
      TEMPORAL_ADDRESS: cluster.address,
      LIFELINE_CONFIG: env.configFile,
      LIFELINE_TASK_QUEUE: env.taskQueue,
      LIFELINE_API_TOKEN: API_TOKEN,
      LIFELINE_API_HOST: '127.0.0.1',
      LIFELINE_API_PORT: String(port),
      LIFELINE_CONTAINER_METRICS: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  onCleanup(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode}:\n${output}`);
      return (await axios.get(`${url}/healthz`).catch(() => undefined))?.status === 200 ? true : undefined;
    },
    `the API on ${port}`,
    30_000,
  );
  return url;
}
