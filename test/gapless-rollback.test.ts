/**
 * Gapless rollbacks behind nginx, on the real engine: 4 clients send requests through the ingress while a
 * quick or specific-version rollback swaps the stack. The targets start beside the running containers on
 * their other ports, the upstream moves once they are healthy, the old ones drain and go. No request fails;
 * a service declared stop-first is swapped alone. A worker SIGKILLed at each step of the swap leaves one
 * complete set serving, and the next worker finishes the swap, still without a failed request.
 */
import axios from 'axios';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Agent } from 'node:http';
import type { WorkflowHandle } from '@temporalio/client';
import { removeFixtureStack, upFixtureStack, upNginx } from '../src/fixtures/stack';
import type { ResolvedStack } from '../src/domain/config';
import { progressQuery } from '../src/workflows/definitions';
import { createTestEnv, FAST_TIMEOUTS, harnessState, TestEnv } from './harness/env';
import { containerSettings, planOf } from './harness/plan';
import { recordGoodRelease } from './harness/releases';
import { startApi } from './harness/api';
import { waitFor } from './harness/waits';
import { spawnWorker, WorkerProcess } from './harness/worker-process';

const NAME = 'gapless';
const NGINX = 'gapless-nginx';
const LISTEN = 19760;
// Ports no other test file uses: files run three at a time.
const FRONTED = { godot: [19761, 19771], api: [19762, 19772] } as const;
const WORKER_PORT = 19763;
let env: TestEnv;
let worker: WorkerProcess | undefined;
let stack: ResolvedStack;

const health = (port: number) => `http://127.0.0.1:${port}/health`;

beforeAll(async () => {
  // The worker runs in its own process, so a test can SIGKILL it inside the swap.
  env = await createTestEnv('gapless', { roles: [] });
  stack = env.stack(NAME, {
    ports: [FRONTED.godot[0], FRONTED.api[0], WORKER_PORT],
    services: ['godot', 'api', 'worker'],
    config: {
      services: {
        godot: { healthUrl: health(FRONTED.godot[0]) },
        api: { healthUrl: health(FRONTED.api[0]) },
        // A singleton: it cannot run twice, so it is swapped stop-first, alone.
        worker: { healthUrl: health(WORKER_PORT), stopFirst: true },
      },
      ingress: {
        container: NGINX,
        services: {
          godot: { upstream: 'spacetime_backend', ports: [...FRONTED.godot] },
          api: { upstream: 'spacetime_backend', ports: [...FRONTED.api] },
        },
      },
      // What users see is the ingress: the smoke test and the status API go through it.
      statusUrl: `http://127.0.0.1:${LISTEN}/status`,
      smokeTests: [
        {
          name: 'ready through the ingress',
          url: `http://127.0.0.1:${LISTEN}/status`,
          jsonPath: 'overall_ready',
          jsonEquals: true,
        },
      ],
      timeouts: { ...FAST_TIMEOUTS, stopGraceSeconds: 2, activityHeartbeatSeconds: 2 },
    },
  });
  worker = await spawnWorker({ host: env.host, taskQueue: env.taskQueue, configFile: env.configFile });
});
afterAll(async () => {
  await worker?.stop();
  await removeFixtureStack(env.docker, stack);
  await env.docker
    .getContainer(NGINX)
    .remove({ force: true })
    .catch(() => undefined);
  await env?.teardown();
});

/** The bad release on each service's first port, the ingress pointing there, old containers slow to stop. */
async function badReleaseBehindNginx(): Promise<void> {
  await upFixtureStack(env.docker, stack, 'v2.5.0', { godot: ['SLOW_STOP=1'], api: ['SLOW_STOP=1'] });
  await upNginx(
    env.docker,
    NGINX,
    `127.0.0.1:${LISTEN}`,
    [FRONTED.godot[0], FRONTED.api[0]].map((p) => `127.0.0.1:${p}`),
  );
  await waitFor(
    async () =>
      (await axios.get(`http://127.0.0.1:${LISTEN}/api/`, { validateStatus: () => true }).catch(() => undefined))
        ?.status === 200
        ? true
        : undefined,
    'the ingress to serve',
  );
}

/** 4 clients through the ingress until stopped; every answer but a 200 is a failed request. */
function load() {
  const http = axios.create({ timeout: 5000, validateStatus: () => true, httpAgent: new Agent({ keepAlive: false }) });
  const served = { ok: 0, failed: 0, failures: [] as string[] };
  let running = true;
  const clients = Array.from({ length: 4 }, async () => {
    while (running) {
      const res = await http
        .get(`http://127.0.0.1:${LISTEN}/api/`)
        .catch((e: Error) => ({ status: 0, data: e.message }));
      if (res.status === 200) served.ok++;
      else {
        served.failed++;
        served.failures.push(`${new Date().toISOString()} ${res.status} ${String(res.data).slice(0, 80)}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  });
  return {
    served,
    async stop() {
      running = false;
      await Promise.all(clients);
      return served;
    },
  };
}

const upstream = async () => {
  const exec = await env.docker
    .getContainer(NGINX)
    .exec({ Cmd: ['/bin/cat', '/etc/nginx/upstream.conf'], AttachStdout: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d));
  await new Promise((r) => stream.on('end', r));
  return Buffer.concat(chunks).toString('latin1');
};

/** One complete set: each fronted service's one container runs `tag` on the port the ingress points at. */
async function oneCompleteSet(tag: string): Promise<void> {
  const all = await env.docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${stack.project}`] },
  });
  expect(all.map((c) => c.Names[0]).filter((n) => n.includes('lifeline-next'))).toEqual([]);
  const routed = await upstream();
  for (const [service, ports] of Object.entries(FRONTED)) {
    const info = await env.docker.getContainer(`${stack.project}-${service}-1`).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Config.Image).toBe(`lifeline-fixture/spacetime:${tag}`);
    // Named and labelled as compose would: compose still owns the stack.
    expect(info.Config.Labels).toMatchObject({
      'com.docker.compose.project': stack.project,
      'com.docker.compose.service': service,
    });
    const port = Number(info.Config.Env.find((e) => e.startsWith('PORT='))!.slice(5));
    expect(ports).toContain(port);
    expect(routed).toContain(`127.0.0.1:${port};`);
  }
}

const rollback = (procedure: 'quick-rollback' | 'specific-version-rollback', extra: object = {}) =>
  env.start(procedure, { stack, trigger: 'cli', requestedBy: 'test', reason: 'bad release', ...extra });

test('a quick rollback under load behind nginx drops no request; the stop-first service is swapped alone', async () => {
  const good = await recordGoodRelease(env, stack);
  await badReleaseBehindNginx();
  // The plan shows the swap beside the running version, the switch, then the stop-first service alone.
  const { plan } = await planOf([NAME], { LIFELINE_CONFIG: env.configFile, TEMPORAL_ADDRESS: harnessState().address });
  const [godotName, apiName, workerName] = ['godot', 'api', 'worker'].map((s) => `${stack.project}-${s}-1`);
  expect(plan.order.map((o) => [o.what, o.containers])).toEqual([
    ['start beside the running version on the other port, wait until healthy', [godotName, apiName]],
    [`switch ${NGINX} to the new containers, drain the old`, []],
    ['stop and remove the old, rename the new to their names', [godotName, apiName]],
    ['stop-first, one at a time', [workerName]],
  ]);
  expect(plan.services.find((s) => s.service === 'godot')?.changes).toContain('env changed: PORT');
  const traffic = load();
  const h = await rollback('quick-rollback');
  expect(await h.result()).toMatchObject({ status: 'completed', toRelease: plan.target.releaseId });
  const served = await traffic.stop();
  expect(served.failures).toEqual([]);
  expect(served.ok).toBeGreaterThan(50);
  await oneCompleteSet('v2.4.9');
  for (const s of plan.services) expect(await containerSettings(env.docker, s.container)).toEqual(s.to);
  // The upstream moved to the other ports; the worker was stopped and started again, alone.
  expect(await upstream()).toContain(`127.0.0.1:${FRONTED.godot[1]};`);
  const { timeline } = await h.query(progressQuery);
  expect(timeline.find((t) => t.step === 'swapped')?.detail).toBe(
    `godot: beside (port ${FRONTED.godot[1]}), api: beside (port ${FRONTED.api[1]}), worker: stop-first`,
  );
  const singleton = await env.docker.getContainer(`${stack.project}-worker-1`).inspect();
  expect(singleton.Config.Labels['lifeline.release']).toBe(good.id);

  // The incident report: the recovery phases against the RTO, as a table and as a chart beside it.
  const { postActionsWorkflowId } = (await h.result()) as { postActionsWorkflowId: string };
  const { reportPath } = (await env.client.workflow.getHandle(postActionsWorkflowId).result()) as {
    reportPath: string;
  };
  const report = readFileSync(reportPath, 'utf8');
  const row = (phase: string) => Number(new RegExp(`\\| ${phase} \\| \\S+ \\| ([\\d.]+) s \\|`).exec(report)?.[1]);
  for (const phase of ['swap', 'healthy', 'verified']) expect(row(phase)).toBeGreaterThanOrEqual(0);
  expect(report).toMatch(/Time to healthy: [\d.]+ s, within the RTO of 180 s\./);
  const chart = readFileSync(reportPath.replace(/\.md$/, '.recovery.svg'), 'utf8');
  expect(report).toContain(`![Recovery timeline](${path.basename(reportPath).replace(/\.md$/, '.recovery.svg')})`);
  expect(chart.startsWith('<svg')).toBe(true);
  for (const label of ['swap', 'healthy', 'verified', 'RTO 180 s']) expect(chart).toContain(label);
  // The swap's duration is the swap activity's, as the server's history timed it.
  const events = (await h.fetchHistory()).events ?? [];
  const scheduled = events.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'swapBehindIngress',
  );
  const completed = events.find(
    (e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString(),
  );
  const seconds = (e: typeof scheduled) => Number(e!.eventTime!.seconds) + (e!.eventTime!.nanos ?? 0) / 1e9;
  const activitySeconds = seconds(completed) - seconds(scheduled);
  expect(Math.abs(row('swap') - activitySeconds)).toBeLessThan(1);

  // And /metrics has the time to healthy, per stack and procedure.
  const api = await startApi(env, { [NAME]: { host: env.host, services: { godot: {}, api: {}, worker: {} } } });
  try {
    const metrics = (await axios.get(`${api.url}/metrics`)).data as string;
    const count = /lifeline_time_to_healthy_seconds_count\{stack="gapless",procedure="quick-rollback"\} (\d+)/.exec(
      metrics,
    );
    expect(Number(count?.[1])).toBe(1);
  } finally {
    await api.close();
  }
});

test('a specific-version rollback under load behind nginx drops no request', async () => {
  const older = await recordGoodRelease(env, stack, 'v2.4.8');
  await badReleaseBehindNginx();
  const traffic = load();
  const h = await rollback('specific-version-rollback', { releaseId: older.id });
  expect(await h.result()).toMatchObject({ status: 'completed', toRelease: older.id });
  const served = await traffic.stop();
  expect(served.failures).toEqual([]);
  expect(served.ok).toBeGreaterThan(50);
  await oneCompleteSet('v2.4.8');
});

/** When to SIGKILL the worker: a target exists beside the old one; the ingress moved; the old ones are stopping. */
const KILL_POINTS: [string, () => Promise<boolean>][] = [
  [
    'a target started beside the running version',
    async () => (await env.docker.listContainers({ all: true })).some((c) => c.Names[0].endsWith('-lifeline-next')),
  ],
  ['the ingress switched', async () => (await upstream()).includes(`:${FRONTED.godot[1]};`)],
  [
    'the old version stopping',
    async () => {
      if (!(await upstream()).includes(`:${FRONTED.godot[1]};`)) return false;
      await new Promise((r) => setTimeout(r, 700)); // inside the old containers' 2 s stop
      return true;
    },
  ],
];

test.each(KILL_POINTS)(
  'a worker SIGKILLed when %s: one complete set serves, and the next worker finishes the swap',
  async (_point, reached) => {
    const good = await recordGoodRelease(env, stack);
    await badReleaseBehindNginx();
    const traffic = load();
    const h: WorkflowHandle = await rollback('quick-rollback');
    await waitFor(async () => ((await reached()) ? true : undefined), 'the kill point', 60_000);
    worker!.kill();
    worker = await spawnWorker({ host: env.host, taskQueue: env.taskQueue, configFile: env.configFile });
    const result = await h.result().catch(async (err: Error) => {
      const { timeline } = await h.query(progressQuery);
      const all = await env.docker.listContainers({ all: true });
      const logs = await Promise.all(
        all.map(async (c) => {
          const raw = (await env.docker
            .getContainer(c.Id)
            .logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
          return `${c.Names[0]} ${c.Image} ${c.State} ${c.Created}: ${raw
            .toString('latin1')
            .split('\n')
            .filter((l) => /error|fatal|panic/i.test(l))
            .slice(0, 3)
            .join(' | ')}`;
        }),
      );
      throw new Error(
        `${err.message}\n${timeline.map((t) => `${t.at} ${t.step}: ${t.detail ?? ''}`).join('\n')}\n${logs.join('\n')}`,
      );
    });
    expect(result).toMatchObject({ status: 'completed', toRelease: good.id });
    const served = await traffic.stop();
    expect(served.failures).toEqual([]);
    await oneCompleteSet('v2.4.9');
  },
);
