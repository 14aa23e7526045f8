/** Method 6 with a real nginx: traffic goes back from green to blue through an upstream rewrite and reload. */
import axios from 'axios';
import { Agent } from 'node:http';
import {
  removeFixtureStack,
  upFixtureStack,
  upNginx,
  waitFixtureHealthy,
  fixtureContainer,
} from '../src/fixtures/stack';
import type { RollbackResult } from '../src/workflows/steps/finish-rollback';
import type { ResolvedStack } from '../src/domain/config';
import { createTestEnv, harnessState, TestEnv } from './harness/env';
import { planOf } from './harness/plan';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('bluegreen');
});
afterAll(async () => {
  await env?.teardown();
});

const statusVia = async (url: string) =>
  (await axios.get(url, { timeout: 2000, validateStatus: () => true, maxRedirects: 2 })).data as { version?: string };

test('green is stopped, blue serves through nginx, and verification passes', async () => {
  const blue = env.stack('bgblue', { ports: [19301, 19302], services: ['godot', 'api'] });
  const green = env.stack('bggreen', { ports: [19311, 19312], services: ['godot', 'api'] });
  await upFixtureStack(env.docker, blue, 'v2.4.9');
  await upFixtureStack(env.docker, green, 'v2.5.3'); // green: the new version, serving errors
  await upNginx(env.docker, 'bg-nginx', '127.0.0.1:19300', ['127.0.0.1:19311', '127.0.0.1:19312']);
  await waitFixtureHealthy(env.docker, blue);
  await waitFixtureHealthy(env.docker, green);
  let before: { version?: string } = {};
  for (let i = 0; i < 50 && before.version === undefined; i++) {
    before = await statusVia('http://127.0.0.1:19300/status/').catch(() => ({}));
    if (before.version === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  expect(before.version).toBe('v2.5.3');

  const stack = env.stack('bg', {
    ports: [19300],
    services: ['nginx'],
    config: {
      services: { nginx: { container: 'bg-nginx', appImage: false } },
      statusUrl: 'http://127.0.0.1:19300/status/',
      smokeTests: [
        { name: 'through nginx', url: 'http://127.0.0.1:19300/status/', jsonPath: 'version', jsonEquals: 'v2.4.9' },
      ],
      blueGreen: {
        nginxContainer: 'bg-nginx',
        blue: { project: 'bgblue', servers: ['127.0.0.1:19301', '127.0.0.1:19302'] },
        green: { project: 'bggreen', servers: ['127.0.0.1:19311', '127.0.0.1:19312'] },
      },
    },
  });
  const nginxStartedAt = (await env.docker.getContainer('bg-nginx').inspect()).State.StartedAt;
  // The plan: blue started and healthy first, the switch, then green stopped (kept); nothing recreated.
  const { code, plan } = await planOf(['bg', '--blue-green'], {
    LIFELINE_CONFIG: env.configFile,
    TEMPORAL_ADDRESS: harnessState().address,
  });
  expect(code).toBe(0);
  const names = (st: ResolvedStack) => st.services.map((s) => fixtureContainer(st, s)).sort();
  expect(plan).toMatchObject({ procedure: 'blue-green-rollback', services: [], blockers: [] });
  expect(plan.order.map((o) => [o.what, [...o.containers].sort()])).toEqual([
    ['start blue where stopped, wait until healthy', names(blue)],
    ['switch the ingress to blue, drain the old workers', []],
    ['stop green (kept, not removed)', names(green)],
  ]);
  const handle = await env.start('blue-green-rollback', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'green serves 5xx',
  });
  const result = (await handle.result()) as RollbackResult;
  expect(result.status).toBe('completed');
  expect(result.verification.checks.find((c) => c.name === 'smoke: through nginx')?.passed).toBe(true);

  for (const s of green.services)
    expect((await env.docker.getContainer(fixtureContainer(green, s)).inspect()).State.Running).toBe(false);
  for (const s of blue.services)
    expect((await env.docker.getContainer(fixtureContainer(blue, s)).inspect()).State.Running).toBe(true);
  const nginx = await env.docker.getContainer('bg-nginx').inspect();
  expect(nginx.State.Running).toBe(true);
  expect(nginx.State.StartedAt).toBe(nginxStartedAt); // reloaded in place, not restarted
  expect((await statusVia('http://127.0.0.1:19300/status/')).version).toBe('v2.4.9');

  await env.docker.getContainer('bg-nginx').remove({ force: true });
  await removeFixtureStack(env.docker, blue);
});

test('under live traffic through nginx, the switch to blue fails no request; afterwards only blue answers', async () => {
  // Both environments healthy and telling their version apart, so any failed request is the switch's fault.
  const blue = env.stack('livblue', { ports: [19321, 19322], services: ['godot', 'api'] });
  const green = env.stack('livgreen', { ports: [19331, 19332], services: ['godot', 'api'] });
  await upFixtureStack(env.docker, blue, 'v2.4.9');
  await upFixtureStack(env.docker, green, 'v2.4.8');
  await upNginx(env.docker, 'live-nginx', '127.0.0.1:19320', ['127.0.0.1:19331', '127.0.0.1:19332']);
  await waitFixtureHealthy(env.docker, blue);
  await waitFixtureHealthy(env.docker, green);
  const url = 'http://127.0.0.1:19320/status/';
  for (let i = 0; i < 100 && (await statusVia(url).catch(() => ({}) as { version?: string })).version !== 'v2.4.8'; i++)
    await new Promise((r) => setTimeout(r, 100));

  const stack = env.stack('live', {
    ports: [19320],
    services: ['nginx'],
    config: {
      services: { nginx: { container: 'live-nginx', appImage: false } },
      statusUrl: url,
      smokeTests: [{ name: 'through nginx', url, jsonPath: 'version', jsonEquals: 'v2.4.9' }],
      blueGreen: {
        nginxContainer: 'live-nginx',
        blue: { project: 'livblue', servers: ['127.0.0.1:19321', '127.0.0.1:19322'] },
        green: { project: 'livgreen', servers: ['127.0.0.1:19331', '127.0.0.1:19332'] },
      },
    },
  });
  const nginxStartedAt = (await env.docker.getContainer('live-nginx').inspect()).State.StartedAt;
  const outcomes = new Map<string, number>();
  const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  let running = true;
  // A connection per request: a reused idle keep-alive connection can meet nginx's reload closing it, the
  // idle-close race HTTP clients retry (RFC 9112, 9.3.1); what is measured here is the switch itself.
  const agent = new Agent({ keepAlive: false });
  const client = async () => {
    while (running) {
      const res = await axios
        .get(url, { timeout: 5000, validateStatus: () => true, httpAgent: agent })
        .catch((err: { code?: string }) => ({ status: `error ${err.code}`, data: {} }));
      count(res.status === 200 ? `200 ${(res.data as { version?: string }).version}` : String(res.status));
    }
  };
  const clients = Array.from({ length: 4 }, client);
  try {
    const handle = await env.start('blue-green-rollback', {
      stack,
      trigger: 'cli',
      requestedBy: 'test',
      reason: 'green misbehaves',
    });
    const result = (await handle.result()) as RollbackResult;
    expect(result.status).toBe('completed');
  } finally {
    running = false;
    await Promise.all(clients);
  }
  // Every request answered 200, first by green and then by blue: nothing failed during the switch.
  expect([...outcomes.keys()].sort()).toEqual(['200 v2.4.8', '200 v2.4.9']);
  expect(outcomes.get('200 v2.4.8')! + outcomes.get('200 v2.4.9')!).toBeGreaterThan(50);
  for (let i = 0; i < 20; i++) expect((await statusVia(url)).version).toBe('v2.4.9');
  for (const s of green.services)
    expect((await env.docker.getContainer(fixtureContainer(green, s)).inspect()).State.Running).toBe(false);
  expect((await env.docker.getContainer('live-nginx').inspect()).State.StartedAt).toBe(nginxStartedAt); // reloaded, not restarted

  await env.docker.getContainer('live-nginx').remove({ force: true });
  await removeFixtureStack(env.docker, blue);
});
