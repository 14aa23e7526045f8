/** The HTTP API: credentials by default, clear 4xx for bad input, alerts into triage, remote rollbacks. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CODEC_ENV, ROOT } from './harness/paths';
import axios, { AxiosRequestConfig } from 'axios';
import { createHmac } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import type { ResolvedStack } from '../src/domain/config';
import type { ReleaseSummary } from '../src/domain/release';
import { ownerStateQuery } from '../src/workflows/definitions';
import { rollbacksOf } from './harness/owner';
import { API_TOKEN, HMAC_SECRET, RunningApi, startApi } from './harness/api';
import { createTestEnv, FAST_TIMEOUTS, TestEnv } from './harness/env';
import { waitFor, waitForPending } from './harness/waits';

const PORTS = [19951, 19952];
let env: TestEnv;
let api: RunningApi;
let stack: ResolvedStack;
const stackConfig = {
  host: '',
  services: {
    godot: { healthUrl: `http://127.0.0.1:${PORTS[0]}/health` },
    api: { healthUrl: `http://127.0.0.1:${PORTS[1]}/health` },
  },
  smokeTests: PORTS.map((p, i) => ({
    name: `service ${i} ready`,
    url: `http://127.0.0.1:${p}/status`,
    jsonPath: 'overall_ready',
    jsonEquals: true,
  })),
  timeouts: FAST_TIMEOUTS,
};

beforeAll(async () => {
  env = await createTestEnv('api');
  stackConfig.host = env.host;
  api = await startApi(env, { apistack: stackConfig, other: stackConfig });
  stack = env.stack('apistack', { ports: PORTS, services: ['godot', 'api'] });
  env.stack('other', { ports: PORTS, services: ['godot', 'api'] }); // the workers' own config holds both stacks
});
afterAll(async () => {
  await api?.close();
  await env?.teardown();
});

const post = (path: string, body: unknown, config: AxiosRequestConfig = {}) =>
  axios.post(`${api.url}${path}`, typeof body === 'string' ? body : JSON.stringify(body), {
    validateStatus: () => true,
    ...config,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}`, ...config.headers },
  });

function amPayload(
  alerts: {
    name: string;
    stack?: string;
    status?: 'firing' | 'resolved';
    startsAt?: string;
    fingerprint?: string;
    severity?: string;
  }[],
) {
  return {
    version: '4',
    status: 'firing',
    receiver: 'lifeline',
    groupKey: '{}:{}',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    truncatedAlerts: 0,
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: {
        alertname: a.name,
        ...(a.stack ? { stack: a.stack } : {}),
        ...(a.severity ? { severity: a.severity } : {}),
      },
      annotations: { summary: `${a.name} on ${a.stack}` },
      startsAt: a.startsAt ?? new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://127.0.0.1:9090/graph',
      fingerprint: a.fingerprint ?? `fp-${a.name}`,
    })),
  };
}

const triageState = (name: string) => env.client.workflow.getHandle(`stack:${name}`).query(ownerStateQuery);

async function goodThenBroken(): Promise<ReleaseSummary> {
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  const h = await env.start('backup', { stack, trigger: 'cli', requestedBy: 'test', reason: 'good', knownGood: true });
  const { release } = (await h.result()) as { release: ReleaseSummary };
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  return release;
}

const run = promisify(execFile);

describe('credentials', () => {
  test('the API refuses to start on an empty or short token, saying why', async () => {
    const empty = path.join(env.dataDir, 'empty-token');
    writeFileSync(empty, '\n');
    const start = (extra: NodeJS.ProcessEnv) =>
      run(process.execPath, [path.join(ROOT, 'dist/api/main.js')], {
        env: { ...process.env, ...CODEC_ENV, LIFELINE_API_PORT: '0', LIFELINE_API_TOKEN: '', ...extra },
        timeout: 20_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
    const a = await start({ LIFELINE_API_TOKEN_FILE: empty });
    expect(a.code).toBe(1);
    expect(a.stderr).toContain(`lifeline api failed: LIFELINE_API_TOKEN_FILE (${empty}) is empty`);
    const b = await start({ LIFELINE_API_TOKEN: 'short-token' });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(
      'the API token from LIFELINE_API_TOKEN is too short or has spaces: use 32 or more visible characters',
    );
  });

  test('no credential, a wrong token or a bad signature get 401 and start nothing', async () => {
    const body = amPayload([{ name: 'ErrorRateAbove10Percent', stack: 'other' }]);
    expect((await post('/v1/alerts/alertmanager', body, { headers: { authorization: '' } })).status).toBe(401);
    expect((await post('/v1/alerts/alertmanager', body, { headers: { authorization: 'Bearer nope' } })).status).toBe(
      401,
    );
    const r = await post(
      '/v1/rollbacks',
      { stack: 'other' },
      { headers: { authorization: '', 'x-hub-signature-256': 'sha256=00' } },
    );
    expect(r.status).toBe(401);
    expect(r.data).toEqual({ error: 'invalid signature' });
    await expect(env.client.workflow.getHandle('stack:other').describe()).rejects.toThrow(WorkflowNotFoundError);
  });

  test('HMAC signatures over timestamp, method, path and body work once: case changes, GitHub replays, other routes and a restart all get 401', async () => {
    const sig = (ts: number, method: string, url: string, body: string) =>
      createHmac('sha256', HMAC_SECRET).update(`${ts}:${method}:${url}:${body}`).digest('hex');
    const now = Math.floor(Date.now() / 1000);
    const raw = JSON.stringify({ stack: 'other', name: 'MemoryLeak', severity: 'low', fingerprint: 'hmac-1' });
    const gh = {
      authorization: '',
      'x-hub-signature-256': `sha256=${sig(now, 'POST', '/v1/alerts', raw)}`,
      'x-lifeline-timestamp': String(now),
    };
    expect((await post('/v1/alerts', raw, { headers: gh })).status).toBe(202);
    expect((await post('/v1/alerts', raw, { headers: gh })).data).toEqual({ error: 'replayed signature' });
    // The same signature on another route opens nothing.
    const elsewhere = await axios.get(`${api.url}/v1/workflows/stack:other`, {
      headers: gh,
      validateStatus: () => true,
    });
    expect(elsewhere.status).toBe(401);

    // As Grafana's webhook contact point signs (HMAC secret and a Timestamp Header): `<timestamp>:<body>`.
    const grafanaSig = (ts: number, body: string) =>
      createHmac('sha256', HMAC_SECRET).update(`${ts}:${body}`).digest('hex');
    const grafana = (ts: number, body: string, hex = grafanaSig(ts, body)) => ({
      authorization: '',
      'X-Grafana-Alerting-Signature': hex,
      'X-Grafana-Alerting-Signature-Timestamp': String(ts),
    });
    const raw2 = JSON.stringify({ stack: 'other', name: 'MemoryLeak', severity: 'low', fingerprint: 'hmac-2' });
    const headers = grafana(now, raw2);
    expect((await post('/v1/alerts', raw2, { headers })).status).toBe(202);
    expect((await post('/v1/alerts', raw2, { headers })).data).toEqual({ error: 'replayed signature' });
    const upper = grafana(now, raw2, grafanaSig(now, raw2).toUpperCase());
    expect((await post('/v1/alerts', raw2, { headers: upper })).data).toEqual({ error: 'replayed signature' });
    expect((await post('/v1/alerts', raw2, { headers: grafana(now - 301, raw2) })).data).toEqual({
      error: 'stale signature timestamp',
    });

    // After a restart (a new API process on the same data folder) the signature is still spent.
    const raw3 = JSON.stringify({ stack: 'other', name: 'MemoryLeak', severity: 'low', fingerprint: 'hmac-3' });
    const once = grafana(now, raw3);
    expect((await post('/v1/alerts', raw3, { headers: once })).status).toBe(202);
    const restarted = await startApi(env, { apistack: stackConfig, other: stackConfig });
    try {
      const replay = await axios.post(`${restarted.url}/v1/alerts`, raw3, {
        headers: { 'content-type': 'application/json', ...once },
        validateStatus: () => true,
      });
      expect(replay.status).toBe(401);
      expect(replay.data).toEqual({ error: 'replayed signature' });
    } finally {
      await restarted.close();
    }
  });
});

describe('bad input', () => {
  test('malformed payloads get 400 naming the fields; oversize bodies get 413', async () => {
    const bad = await post('/v1/alerts/alertmanager', {
      version: '4',
      alerts: [{ status: 'burning', labels: {}, startsAt: 'yesterday' }],
    });
    expect(bad.status).toBe(400);
    const fields = (bad.data.fields as { field: string }[]).map((f) => f.field);
    expect(fields).toEqual(
      expect.arrayContaining(['status', 'receiver', 'groupKey', 'alerts.0.status', 'alerts.0.startsAt']),
    );
    expect((await post('/v1/alerts', '{"stack": ')).status).toBe(400);
    expect((await post('/v1/alerts', { stack: 'other', name: 'x', severity: 'apocalyptic' })).data.error).toMatch(
      /severity/,
    );
    expect((await post('/v1/rollbacks', { stack: '../etc' })).status).toBe(400);
    expect((await post('/v1/rollbacks', { stack: 'other', releaseId: '../../x' })).data.error).toMatch(
      /release IDs look like/,
    );
    expect((await post('/v1/rollbacks', { stack: 'other', imageTag: 'v1;rm -rf /' })).status).toBe(400);
    expect((await post('/v1/rollbacks', { stack: 'nope' })).status).toBe(404);
    expect((await post('/v1/rollbacks', { stack: 'other', releaseId: '20200101-000000' })).data).toEqual({
      error: 'unknown release 20200101-000000 for stack other',
    });
    const huge = await post('/v1/alerts', { stack: 'other', name: 'x', severity: 'low', summary: 'y'.repeat(2 << 20) });
    expect(huge.status).toBe(413);
    expect(
      (
        await axios.get(`${api.url}/v1/workflows/..%2F..%2Fetc`, {
          headers: { authorization: `Bearer ${API_TOKEN}` },
          validateStatus: () => true,
        })
      ).status,
    ).toBe(400);
  });

  test('Temporal unreachable: 503, so that Alertmanager retries', async () => {
    const down = await startApi(env, { other: stackConfig }, { temporalAddress: '127.0.0.1:1' });
    const r = await axios.post(
      `${down.url}/v1/alerts/alertmanager`,
      amPayload([{ name: 'ErrorRateAbove10Percent', stack: 'other', fingerprint: 'down-1' }]),
      {
        headers: { authorization: `Bearer ${API_TOKEN}` },
        validateStatus: () => true,
      },
    );
    expect(r.status).toBe(503);
    expect(r.data).toEqual({ error: 'temporarily unavailable; retry' });
    await down.close();
  });
});

describe('alerts into triage', () => {
  test('a critical Alertmanager alert rolls the stack back; duplicates, also from a second API (HA pair), start nothing more', async () => {
    const good = await goodThenBroken();
    const payload = amPayload([{ name: 'ErrorRateAbove10Percent', stack: 'apistack', fingerprint: 'am-critical' }]);
    const first = await post('/v1/alerts/alertmanager', payload);
    expect(first.status).toBe(202);
    expect(first.data).toEqual({ accepted: 1, deduplicated: 0, unrouted: [], workflowIds: ['stack:apistack'] });
    expect((await post('/v1/alerts/alertmanager', payload)).data).toMatchObject({ accepted: 0, deduplicated: 1 });
    const twin = await startApi(env, { apistack: stackConfig });
    expect(
      (
        await axios.post(`${twin.url}/v1/alerts/alertmanager`, payload, {
          headers: { authorization: `Bearer ${API_TOKEN}` },
        })
      ).data,
    ).toMatchObject({ accepted: 1 });
    await twin.close();

    const state = await waitFor(
      async () => {
        const s = await triageState('apistack');
        return rollbacksOf(s).length === 1 && !s.running ? s : undefined;
      },
      'the triage rollback to finish',
      60_000,
    );
    expect(state.deduplicated).toBe(1);
    const rollback = env.client.workflow.getHandle(rollbacksOf(state)[0]);
    expect((await rollback.result()) as { toRelease: string }).toMatchObject({
      status: 'completed',
      toRelease: good.id,
    });
    const desc = await rollback.describe();
    expect(desc.searchAttributes.LifelineTrigger).toEqual(['alert']);
    for (const s of stack.services)
      expect((await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).Config.Image).toBe(
        'lifeline-fixture/spacetime:v2.4.9',
      );
    // The same alert again later (still firing) does not start a second rollback.
    expect((await post('/v1/alerts/alertmanager', payload)).data.accepted).toBe(0);
    expect(rollbacksOf(await triageState('apistack'))).toHaveLength(1);
  });

  test('unknown stacks are reported, not routed', async () => {
    const r = await post(
      '/v1/alerts/alertmanager',
      amPayload([
        { name: 'X', stack: 'nope', fingerprint: 'u1' },
        { name: 'Y', fingerprint: 'u2' },
      ]),
    );
    expect(r.status).toBe(202);
    expect(r.data.unrouted).toEqual([
      { name: 'X', reason: 'unknown stack "nope"' },
      { name: 'Y', reason: 'no "stack" label' },
    ]);
  });

  test('high under 5 minutes: monitor closely; over 5 minutes: roll back', async () => {
    await goodThenBroken();
    const recent = new Date(Date.now() - 60_000).toISOString();
    await post(
      '/v1/alerts/alertmanager',
      amPayload([{ name: 'ResponseTimeAbove2s', stack: 'apistack', startsAt: recent, fingerprint: 'high-1' }]),
    );
    const monitoring = await waitFor(async () => {
      const s = await triageState('apistack');
      return s.alerts.find((a) => a.name === 'ResponseTimeAbove2s' && a.action === 'monitor-closely') ? s : undefined;
    }, 'monitor-closely');
    const before = rollbacksOf(monitoring).length;
    await post(
      '/v1/alerts/alertmanager',
      amPayload([
        { name: 'ResponseTimeAbove2s', stack: 'apistack', startsAt: recent, fingerprint: 'high-1', status: 'resolved' },
      ]),
    );
    await waitFor(
      async () =>
        (await triageState('apistack')).alerts.some((a) => a.name === 'ResponseTimeAbove2s') ? undefined : true,
      'resolution',
    );

    const old = new Date(Date.now() - 6 * 60_000).toISOString();
    await post(
      '/v1/alerts/alertmanager',
      amPayload([{ name: 'ErrorRateAbove5Percent', stack: 'apistack', startsAt: old, fingerprint: 'high-2' }]),
    );
    const after = await waitFor(
      async () => {
        const s = await triageState('apistack');
        return rollbacksOf(s).length === before + 1 && !s.running ? s : undefined;
      },
      'rollback after 5 minutes of a high alert',
      60_000,
    );
    expect(after.alerts.find((a) => a.name === 'ErrorRateAbove5Percent')?.action).toBe('rollback');
  });

  test('medium over 15 minutes asks a person; the resolved alert withdraws the question', async () => {
    const old = new Date(Date.now() - 16 * 60_000).toISOString();
    await post(
      '/v1/alerts/alertmanager',
      amPayload([{ name: 'MemoryLeak', stack: 'other', startsAt: old, fingerprint: 'med-1' }]),
    );
    const handle = env.client.workflow.getHandle('stack:other');
    const asking = await waitForPending(handle, 'approval');
    expect(asking.pending?.prompt).toBe('MemoryLeak (medium) has lasted over 15 minutes: roll back other?');
    await post(
      '/v1/alerts/alertmanager',
      amPayload([{ name: 'MemoryLeak', stack: 'other', startsAt: old, fingerprint: 'med-1', status: 'resolved' }]),
    );
    const withdrawn = await waitFor(async () => {
      const s = await triageState('other');
      return s.awaitingApprovalFor === undefined &&
        !s.alerts.some((a) => a.name === 'MemoryLeak' && a.severity === 'medium')
        ? s
        : undefined;
    }, 'question withdrawn');
    expect(rollbacksOf(withdrawn)).toEqual([]);
  });
});

describe('remote trigger and status', () => {
  test('POST /v1/rollbacks starts a specific-version rollback; GET /v1/workflows/:id reports it', async () => {
    const good = await goodThenBroken();
    const r = await post('/v1/rollbacks', {
      stack: 'apistack',
      releaseId: good.id,
      environment: 'production',
      reason: 'from the runbook',
      requestedBy: 'ops-bot',
    });
    expect(r.status).toBe(202);
    expect(r.data.procedure).toBe('specific-version-rollback');
    await env.client.workflow.getHandle(r.data.workflowId).result();
    const s = await axios.get(`${api.url}/v1/workflows/${encodeURIComponent(r.data.workflowId)}`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(s.data).toMatchObject({ status: 'COMPLETED', type: 'specificVersionRollback', toRelease: good.id });
    expect(s.data.checklist.find((e: { item: string }) => e.item === 'Smoke tests pass').state).toBe('done');
    const missing = await axios.get(`${api.url}/v1/workflows/nope`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
      validateStatus: () => true,
    });
    expect(missing.status).toBe(404);
  });

  test('/healthz is open; /metrics counts requests, alerts, dedup and starts; no credential appears in it', async () => {
    expect((await axios.get(`${api.url}/healthz`)).data).toEqual({ ok: true });
    const m = (await axios.get(`${api.url}/metrics`)).data as string;
    expect(m).toMatch(/lifeline_alerts_received_total\{source="alertmanager",status="firing"\} \d+/);
    expect(m).toMatch(/lifeline_alerts_deduplicated_total [1-9]/);
    expect(m).toMatch(/lifeline_workflows_started_total\{procedure="specific-version-rollback"\} 1/);
    expect(m).toMatch(/lifeline_auth_failures_total [1-9]/);
    expect(m).not.toContain(API_TOKEN);
  });
});
