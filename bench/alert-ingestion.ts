/** Alert ingestion: autocannon against the Alertmanager endpoint; and a storm of duplicates. */
import autocannon from 'autocannon';
import type { AddressInfo } from 'node:net';
import { buildApi } from '../src/api/server';
import { configSchema } from '../src/domain/config';
import { startProcedure } from '../src/client/procedures';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { ownerStateQuery } from '../src/workflows/definitions';
import { rollbacksOf } from '../test/harness/owner';
import { BenchEnv, benchStack, report, codec } from './lib';

const TOKEN = 'bench-token-0123456789abcdefghijklmnop';

function payload(stack: string, alertname: string, fingerprint: string, severity: string) {
  return JSON.stringify({
    version: '4',
    status: 'firing',
    receiver: 'lifeline',
    groupKey: `{}:{alertname="${alertname}"}`,
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname, stack, severity },
        annotations: {},
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint,
      },
    ],
  });
}

export async function alertIngestion(env: BenchEnv): Promise<void> {
  const storm = benchStack(env, 'storm', [18990, 18991]);
  const config = configSchema.parse({
    dataDir: env.dataDir,
    stacks: {
      ingest: { host: env.host, services: { a: {} } },
      storm: {
        host: env.host,
        services: {
          svc0: { healthUrl: 'http://127.0.0.1:18990/health' },
          svc1: { healthUrl: 'http://127.0.0.1:18991/health' },
        },
        timeouts: { monitorSeconds: 0, postRollbackMonitorSeconds: 0 },
      },
    },
  });
  const app = await buildApi({
    config,
    client: env.client,
    codec,
    taskQueue: env.taskQueue,
    logLevel: 'silent',
    secrets: { bearerToken: TOKEN, grafanaSignatureHeader: 'x', grafanaTimestampHeader: 'y', maxSkewSeconds: 300 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/alerts/alertmanager`;
  let n = 0;
  const rated = await autocannon({
    url,
    method: 'POST',
    connections: 20,
    overallRate: 500,
    duration: 10,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: payload('ingest', 'InfoNotice', `fp-${n++}`, 'info') }) }],
  });

  await upFixtureStack(env.docker, storm, 'v2.4.9');
  await waitFixtureHealthy(env.docker, storm);
  await (
    await startProcedure(
      env.client,
      'backup',
      { stack: storm, trigger: 'cli', reason: 'bench', requestedBy: 'bench', knownGood: true },
      { taskQueue: env.taskQueue },
    )
  ).handle.result();
  await upFixtureStack(env.docker, storm, 'v2.5.0');
  const dup = payload('storm', 'ErrorRateAbove10Percent', 'storm-1', 'critical');
  const stormRun = await autocannon({
    url,
    method: 'POST',
    connections: 50,
    amount: 10_000,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
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
      run: 'unique alerts at 500 req/s for 10 s',
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
