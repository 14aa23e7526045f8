/** Rollback verification against a real Prometheus scraping the fixture's /metrics. */
import axios from 'axios';
import { upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import type { ResolvedStack } from '../src/domain/config';
import { createTestEnv, TestEnv } from './harness/env';
import { Peer, startPrometheus } from './harness/peers';
import { VerificationRunner, verificationRunner } from './harness/verification';

const PORTS = [16171, 16172];
const ERROR_RATIO =
  'sum(http_requests_total{job="spacetime",status="500"}) / sum(http_requests_total{job="spacetime"})';
let env: TestEnv;
let prometheus: Peer;
let stack: ResolvedStack;
let runner: VerificationRunner;

beforeAll(async () => {
  env = await createTestEnv('verify');
  prometheus = await startPrometheus(
    19790,
    PORTS.map((p) => `127.0.0.1:${p}`),
  );
  stack = verifiedStack('verify', prometheus.url);
  runner = await verificationRunner(env);
});

/** The fixture stack (compose project `verify`), checked by the Prometheus at `prometheusUrl`. */
const verifiedStack = (name: string, prometheusUrl: string) =>
  env.stack(name, {
    ports: PORTS,
    services: ['godot', 'api'],
    config: {
      project: 'verify',
      prometheus: {
        url: prometheusUrl,
        checks: [
          { name: 'all targets up', query: 'up{job="spacetime"}', op: '==', threshold: 1 },
          { name: 'error rate', query: ERROR_RATIO, op: '<', threshold: 0.1 },
        ],
      },
      // Healthy for 2 s before the checks: Prometheus (scraping every second) has then seen the containers now running.
      timeouts: {
        stopGraceSeconds: 1,
        healthWaitSeconds: 10,
        healthStableSeconds: 2,
        deployHealthSeconds: 10,
        monitorSeconds: 2,
        monitorIntervalSeconds: 1,
        postRollbackMonitorSeconds: 0,
      },
    },
  });
afterAll(async () => {
  await runner?.close();
  await prometheus?.stop();
  await env?.teardown();
});

async function waitForRatio(predicate: (v: number) => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await axios.get(`${prometheus.url}/api/v1/query`, { params: { query: ERROR_RATIO } });
    const v = r.data.data.result[0]?.value[1];
    if (v !== undefined && predicate(Number(v))) return;
    await new Promise((res) => setTimeout(res, 300));
  }
  throw new Error('Prometheus never saw the expected error ratio');
}

const verify = (of = stack) => runner.verify({ stack: env.pinned(of) });

test('a healthy release passes every check, including Prometheus and the monitoring window', async () => {
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  await waitForRatio((v) => v === 0);
  const report = await verify();
  expect(report.passed).toBe(true);
  expect(report.checks.map((c) => c.name)).toEqual([
    'containers healthy',
    'smoke: godot ready',
    'smoke: api ready',
    'status API',
    'error logs',
    'metric: all targets up',
    'metric: error rate',
  ]);
  expect(report.monitorSamples).toBe(2);
});

test('a high error rate fails the metric check with the value', async () => {
  await upFixtureStack(env.docker, stack, 'v2.5.3');
  await waitFixtureHealthy(env.docker, stack);
  await waitForRatio((v) => v > 0.1);
  const report = await verify();
  expect(report.passed).toBe(false);
  const errorRate = report.checks.find((c) => c.name === 'metric: error rate');
  expect(errorRate).toMatchObject({ passed: false, detail: expect.stringMatching(/^values 0\.2 not < 0\.1$/) });
  expect(report.monitorSamples).toBe(0); // no monitoring window once a check has failed
});

test('an unreachable Prometheus is a failed check, not a crash', async () => {
  // The same containers, configured (as a second stack) with a Prometheus URL nothing answers on.
  const report = await verify(verifiedStack('verify-noprom', 'http://127.0.0.1:1'));
  expect(report.checks.find((c) => c.name === 'metric: all targets up')?.detail).toMatch(/^Prometheus unreachable/);
});

test('a watched deploy: healthy containers but an error rate over the bound roll back, naming the value measured', async () => {
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  await waitForRatio((v) => v === 0);
  const h = await env.start('automatic-rollback', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'deploy v2.5.3',
    imageTag: 'v2.5.3',
  });
  const result = (await h.result()) as { status: string; trigger: string; rollback: { status: string } };
  expect(result.status).toBe('rolled-back');
  expect(result.trigger).toBe('metrics: error rate (values 0.2 not < 0.1)');
  expect(result.rollback.status).toBe('completed');
  const versions = await Promise.all(
    stack.services.map(async (s) => (await env.docker.getContainer(`verify-${s.name}-1`).inspect()).Config.Image),
  );
  expect(versions).toEqual(['lifeline-fixture/spacetime:v2.4.9', 'lifeline-fixture/spacetime:v2.4.9']);
});
