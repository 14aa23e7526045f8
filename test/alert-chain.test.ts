/**
 * The shipped rules, end to end: a load generator drives the fixture app's traffic; a bad release makes
 * the shipped ErrorRateAbove10Percent rule fire in a real Prometheus (windows shortened from the same file);
 * Alertmanager delivers it to Lifeline; exactly one rollback follows; the error rate falls and the alert resolves.
 */
import axios from 'axios';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Agent } from 'node:http';
import { removeFixtureStack, upFixtureStack } from '../src/fixtures/stack';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import { ownerStateQuery, progressQuery } from '../src/workflows/definitions';
import { API_TOKEN, RunningApi, startApi } from './harness/api';
import { createTestEnv, TestEnv } from './harness/env';
import { rollbacksOf } from './harness/owner';
import { Peer, startAlertmanager, startPrometheus } from './harness/peers';
import { recordGoodRelease } from './harness/releases';
import { waitFor } from './harness/waits';

const PORTS = [16121, 16122];
const NAME = 'chain';
let env: TestEnv;
let api: RunningApi;
let alertmanager: Peer;
let prometheus: Peer;

/** The shipped rules with the runbook's 1-minute windows shortened for a test: same expressions and thresholds. */
const shortened = readFileSync(path.join(__dirname, '../deploy/prometheus/lifeline-rules.yml'), 'utf8')
  .replace(/\[1m\]/g, '[20s]')
  .replace(/for: 1m/g, 'for: 4s');

beforeAll(async () => {
  env = await createTestEnv('chain');
  api = await startApi(env, { [NAME]: { host: env.host, services: { godot: {}, api: {} } } });
  alertmanager = await startAlertmanager(16125, `${api.url}/v1/alerts/alertmanager`, API_TOKEN);
  prometheus = await startPrometheus(
    16126,
    PORTS.map((p) => `127.0.0.1:${p}`),
    // Scrapes every 2 s with a 2 s timeout: a CGI scrape under load on a busy 2-core machine can take over 1 s.
    { labels: { stack: NAME }, rules: [shortened], alertmanagerUrl: alertmanager.url, scrapeSeconds: 2 },
  );
});
afterAll(async () => {
  await prometheus?.stop();
  await alertmanager?.stop();
  await api?.close();
  await env?.teardown();
});

test('a bad release under load fires the shipped error-rate rule; one rollback; the alert resolves', async () => {
  const stack = env.stack(NAME, { ports: PORTS, services: ['godot', 'api'] });
  const good = await recordGoodRelease(env, stack);

  // Traffic: 4 clients on the app's /api, all through the test.
  const http = axios.create({ timeout: 2000, validateStatus: () => true, httpAgent: new Agent({ keepAlive: false }) });
  let load = true;
  const served = { ok: 0, failed: 0 };
  const clients = Array.from({ length: 4 }, async (_, i) => {
    while (load) {
      const res = await http.get(`http://127.0.0.1:${PORTS[i % 2]}/api/`).catch(() => ({ status: 0 }));
      if (res.status === 200) served.ok++;
      else served.failed++;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  try {
    await upFixtureStack(env.docker, stack, 'v2.5.3'); // the bad deploy: one request in four fails
    const owner = env.client.workflow.getHandle(ownerWorkflowId(NAME));
    const rolledBack = await waitFor(
      async () => {
        const s = await owner.query(ownerStateQuery).catch(() => undefined);
        return s && rollbacksOf(s).length > 0 && !s.running ? s : undefined;
      },
      'the alert to reach Lifeline and its rollback to finish',
      180_000,
    ).catch(async (err: Error) => {
      // Say where the chain stopped: Prometheus, Alertmanager or Lifeline.
      const peek = async (url: string) =>
        JSON.stringify((await axios.get(url).catch((e: Error) => ({ data: e.message }))).data).slice(0, 1500);
      throw new Error(
        `${err.message}\nPrometheus alerts: ${await peek(`${prometheus.url}/api/v1/alerts`)}\nPrometheus targets: ${await peek(`${prometheus.url}/api/v1/targets`)}\nAlertmanager: ${await peek(`${alertmanager.url}/api/v2/alerts`)}\n` +
          `owner: ${JSON.stringify(await owner.query(ownerStateQuery).catch((e: Error) => e.message))}\nload: ${JSON.stringify(served)}`,
      );
    });
    const [rollback] = rollbacksOf(rolledBack);
    const rollbackHandle = env.client.workflow.getHandle(rollback);
    expect(await rollbackHandle.result()).toMatchObject({ status: 'completed', toRelease: good.id });
    // It was the critical 10% rule's decision (the alert itself may have resolved by now, as it should).
    const { timeline } = await rollbackHandle.query(progressQuery);
    expect(timeline.find((t) => t.step === 'incident logged')?.detail).toMatch(/^ErrorRateAbove10Percent/);

    // Back on the good release the error rate falls to zero, the rule stops holding, and the resolution arrives.
    const resolved = await waitFor(
      async () => {
        const s = await owner.query(ownerStateQuery);
        return s.alerts.some((a) => a.name.startsWith('ErrorRate')) ? undefined : s;
      },
      'the alert to resolve',
      120_000,
    );
    expect(rollbacksOf(resolved)).toEqual([rollback]); // exactly one rollback for the whole episode
  } finally {
    load = false;
    await Promise.all(clients);
    await removeFixtureStack(env.docker, stack);
  }
  expect(served.failed).toBeGreaterThan(0); // the bad release really failed requests
  expect(served.ok).toBeGreaterThan(100);
  // Room for both waits above (their own bounds say where the chain stopped), on a loaded machine.
}, 360_000);
