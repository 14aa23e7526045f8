/** A real Prometheus Alertmanager, with a bearer token, delivers an alert to Lifeline, which rolls the stack back. */
import axios from 'axios';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
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
      services: { godot: { healthUrl: `http://127.0.0.1:${PORTS[0]}/health` }, api: { healthUrl: `http://127.0.0.1:${PORTS[1]}/health` } },
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
    { labels: { alertname: 'ErrorRateAbove10Percent', stack: 'amstack', severity: 'critical' }, annotations: { summary: 'error rate 23%' }, startsAt: new Date().toISOString() },
  ]);

  const state = await waitFor(async () => {
    const s = await env.client.workflow.getHandle('stack:amstack').query(ownerStateQuery);
    return rollbacksOf(s).length === 1 && !s.running ? s : undefined;
  }, 'Alertmanager to deliver and the rollback to finish', 90_000);
  const rollback = env.client.workflow.getHandle(rollbacksOf(state)[0]);
  expect(await rollback.result()).toMatchObject({ status: 'completed', toRelease: good.id });
  const firing = state.alerts.find((a) => a.name === 'ErrorRateAbove10Percent');
  expect(firing).toMatchObject({ severity: 'critical', action: 'rollback-now' });
  for (const s of stack.services) expect((await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).Config.Image).toBe('lifeline-fixture/spacetime:v2.4.9');
  await removeFixtureStack(env.docker, stack);
});
