/** Alert ingestion: autocannon against the Alertmanager endpoint against a bare signal-with-start floor (ABAB); and a storm of duplicates. */
import autocannon from 'autocannon';
import type { AddressInfo } from 'node:net';
import { buildApi } from '../src/api/server';
import { loadConfig } from '../src/config/load';
import { ownerStartOptions } from '../src/client/start-procedure';
import { removeFixtureStack } from '../src/fixtures/stack';
import { alertSignal, ownerStateQuery } from '../src/workflows/definitions';
import type { AlertEvent } from '../src/domain/alerts';
import { rollbacksOf } from '../test/harness/owner';
import {
  alertmanagerWebhook,
  alternate,
  BenchEnv,
  BENCH_CONFIG_FILE,
  benchStack,
  breakStacks,
  codec,
  recordGood,
  report,
} from './lib';
import { API_TOKEN } from './processes';

const CONNECTIONS = 20;
const RATE = 500;
const SECONDS = 5;
const ROUNDS = 7;

interface Rate {
  total: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** `CONNECTIONS` loops sharing `RATE` per second: each signal-with-starts the stack owner with one new alert. */
async function bareSignalWithStart(env: BenchEnv, fingerprint: () => string): Promise<Rate> {
  const latencies: number[] = [];
  let errors = 0;
  const interval = (1000 * CONNECTIONS) / RATE;
  const until = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, i) => {
      let next = started + (i * interval) / CONNECTIONS;
      while (Date.now() < until) {
        const wait = next - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        next += interval;
        const event: AlertEvent = {
          source: 'alertmanager',
          stack: 'ingest',
          name: 'InfoNotice',
          severity: 'low',
          status: 'firing',
          fingerprint: fingerprint(),
          startsAt: new Date().toISOString(),
          labels: { alertname: 'InfoNotice', stack: 'ingest', severity: 'info' },
        };
        const t0 = performance.now();
        try {
          await env.client.workflow.signalWithStart('stackOwner', {
            ...ownerStartOptions({ name: 'ingest' }, { taskQueue: env.taskQueue }),
            signal: alertSignal,
            signalArgs: [[event]],
          });
          latencies.push(performance.now() - t0);
        } catch (err) {
          if (errors++ === 0) console.error('floor: signal-with-start failed:', (err as Error).message);
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    total: latencies.length,
    rps: latencies.length / ((Date.now() - started) / 1000),
    p50: at(0.5),
    p99: at(0.99),
    errors,
  };
}

export async function alertIngestion(env: BenchEnv): Promise<void> {
  const storm = benchStack(env, 'storm', [18990, 18991]);
  benchStack(env, 'ingest', [18992]); // the worker's config knows both stacks
  const config = loadConfig(BENCH_CONFIG_FILE);
  const app = await buildApi({
    config,
    client: env.client,
    codec,
    decisionKey: 'bench-decision-key-0123456789abcdefghijklmnop',
    taskQueue: env.taskQueue,
    logLevel: 'silent',
    secrets: { bearerToken: API_TOKEN, grafanaSignatureHeader: 'x', grafanaTimestampHeader: 'y', maxSkewSeconds: 300 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/alerts/alertmanager`;
  let n = 0;
  const lifelineRun = () =>
    autocannon({
      url,
      method: 'POST',
      connections: CONNECTIONS,
      overallRate: RATE,
      duration: SECONDS,
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      requests: [
        { setupRequest: (req) => ({ ...req, body: alertmanagerWebhook('ingest', 'InfoNotice', `fp-${n++}`, 'info') }) },
      ],
    });
  // The floor: what the owner's primitive costs on its own, a bare client doing signal-with-start at the
  // same concurrency and offered rate against the same server.
  const floorRun = () => bareSignalWithStart(env, () => `fp-${n++}`);
  const lifeline: autocannon.Result[] = [];
  const floor: Rate[] = [];
  await alternate(
    ROUNDS,
    async () => lifeline.push(await lifelineRun()),
    async () => floor.push(await floorRun()),
  );
  const mid = <T>(xs: T[], key: (x: T) => number) => [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)];
  const rated = mid(lifeline, (r) => r.requests.average);
  const bare = mid(floor, (r) => r.rps);

  await recordGood(env, [storm]);
  await breakStacks(env, [storm]);
  const dup = alertmanagerWebhook('storm', 'ErrorRateAbove10Percent', 'storm-1', 'critical');
  const stormRun = await autocannon({
    url,
    method: 'POST',
    connections: 50,
    amount: 10_000,
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: dup,
  });
  const triage = env.client.workflow.getHandle('stack:storm');
  let state = await triage.query(ownerStateQuery);
  for (let i = 0; i < 600 && (rollbacksOf(state).length === 0 || state.running); i++) {
    await new Promise((r) => setTimeout(r, 100));
    state = await triage.query(ownerStateQuery);
  }
  await new Promise((r) => setTimeout(r, 2000));
  state = await triage.query(ownerStateQuery);
  await removeFixtureStack(env.docker, storm);
  await app.close();
  report('alert-ingestion', [
    {
      run: `bare client signal-with-start, ${CONNECTIONS} at once, ${RATE}/s offered (floor, median of ${ROUNDS})`,
      requests: bare.total,
      rps: Math.round(bare.rps),
      p50ms: bare.p50,
      p99ms: bare.p99,
      non2xx: 0,
      errors: bare.errors,
    },
    {
      run: `unique alerts through the API, ${RATE}/s offered (median of ${ROUNDS}; ratio to floor ${(rated.requests.average / bare.rps).toFixed(2)}, target ≥ 0.9)`,
      requests: rated.requests.total,
      rps: Math.round(rated.requests.average),
      p50ms: rated.latency.p50,
      p99ms: rated.latency.p99,
      non2xx: rated.non2xx,
      errors: rated.errors,
    },
    {
      run: '10,000 duplicates of one critical alert',
      requests: stormRun.requests.total,
      rps: Math.round(stormRun.requests.average),
      p50ms: stormRun.latency.p50,
      p99ms: stormRun.latency.p99,
      non2xx: stormRun.non2xx,
      errors: stormRun.errors,
    },
    {
      run: 'rollbacks started by the storm (must be 1)',
      requests: rollbacksOf(state).length,
      rps: 0,
      p50ms: 0,
      p99ms: 0,
      non2xx: 0,
      errors: 0,
    },
  ]);
}
