/** A real Prometheus Alertmanager, with a bearer token, delivers an alert to Lifeline, which rolls the stack back. */
import axios from 'axios';
import { upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import type { ReleaseSummary } from '../src/domain/release';
import { ownerStateQuery } from '../src/workflows/definitions';
import { rollbacksOf } from './harness/owner';
import { API_TOKEN, RunningApi, startApi } from './harness/api';
import { createTestEnv, FAST_TIMEOUTS, TestEnv } from './harness/env';
import { Peer, startAlertmanager } from './harness/peers';
import { waitFor } from './harness/waits';

const PORTS = [19971, 19972];
let env: TestEnv;
let api: RunningApi;
let alertmanager: Peer;

beforeAll(async () => {
  env = await createTestEnv('alertmanager');
  api = await startApi(env, {
    amstack: {
      host: env.host,
      services: {
        godot: { healthUrl: `http://127.0.0.1:${PORTS[0]}/health` },
        api: { healthUrl: `http://127.0.0.1:${PORTS[1]}/health` },
      },
      timeouts: FAST_TIMEOUTS,
    },
  });
  alertmanager = await startAlertmanager(19979, `${api.url}/v1/alerts/alertmanager`, API_TOKEN);
});
afterAll(async () => {
  await alertmanager?.stop();
  await api?.close();
  await env?.teardown();
});

test('Alertmanager → webhook (Bearer) → triage → quick rollback of the fixture stack', async () => {
  const stack = env.stack('amstack', { ports: PORTS, services: ['godot', 'api'] });
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  const h = await env.start('backup', { stack, trigger: 'cli', requestedBy: 'test', reason: 'good', knownGood: true });
  const { release: good } = (await h.result()) as { release: ReleaseSummary };
  await upFixtureStack(env.docker, stack, 'v2.5.0');

  // Post the alert to Alertmanager's own API, as Prometheus would.
  await axios.post(`${alertmanager.url}/api/v2/alerts`, [
    {
      labels: { alertname: 'ErrorRateAbove10Percent', stack: 'amstack', severity: 'critical' },
      annotations: { summary: 'error rate 23%' },
      startsAt: new Date().toISOString(),
    },
  ]);

  const state = await waitFor(
    async () => {
      const s = await env.client.workflow.getHandle('stack:amstack').query(ownerStateQuery);
      return rollbacksOf(s).length === 1 && !s.running ? s : undefined;
    },
    'Alertmanager to deliver and the rollback to finish',
    90_000,
  );
  const rollback = env.client.workflow.getHandle(rollbacksOf(state)[0]);
  expect(await rollback.result()).toMatchObject({ status: 'completed', toRelease: good.id });
  const firing = state.alerts.find((a) => a.name === 'ErrorRateAbove10Percent');
  expect(firing).toMatchObject({ severity: 'critical', action: 'rollback-now' });
  for (const s of stack.services)
    expect((await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).Config.Image).toBe(
      'lifeline-fixture/spacetime:v2.4.9',
    );
});

test('an oversized alert gets 400 naming the field, and Alertmanager does not retry it', async () => {
  // Its own Alertmanager, flushing groups only every minute: within the test, any second delivery is a retry.
  const am = await startAlertmanager(19978, `${api.url}/v1/alerts/alertmanager`, API_TOKEN, { group_interval: '1m' });
  const refused = async () => {
    const metrics = (await axios.get(`${api.url}/metrics`)).data as string;
    const line = metrics
      .split('\n')
      .find(
        (l) =>
          l.startsWith('lifeline_http_requests_total{') &&
          l.includes('route="/v1/alerts/alertmanager"') &&
          l.includes('status="400"'),
      );
    return Number(line?.split(' ').pop() ?? 0);
  };
  try {
    const before = await refused();
    await axios.post(`${am.url}/api/v2/alerts`, [
      {
        labels: { alertname: 'HugeAnnotation', stack: 'amstack', severity: 'low' },
        annotations: { summary: 'x'.repeat(5000) },
        startsAt: new Date().toISOString(),
      },
    ]);
    await waitFor(async () => ((await refused()) > before ? true : undefined), 'the 400', 30_000);
    await new Promise((r) => setTimeout(r, 8000)); // Alertmanager retries a 5xx within seconds; a 4xx never
    expect((await refused()) - before).toBe(1);
    const direct = await axios.post(
      `${api.url}/v1/alerts/alertmanager`,
      {
        version: '4',
        status: 'firing',
        receiver: 'r',
        groupKey: 'g',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'X', stack: 'amstack' },
            annotations: { summary: 'x'.repeat(5000) },
            startsAt: new Date().toISOString(),
          },
        ],
      },
      { headers: { authorization: `Bearer ${API_TOKEN}` }, validateStatus: () => true },
    );
    expect(direct.status).toBe(400);
    expect(direct.data.fields).toEqual([
      { field: 'alerts.0.annotations.summary', message: expect.stringContaining('4096') },
    ]);
  } finally {
    await am.stop();
  }
});
