/**
 * Least privilege in the real API on the real Temporal server: named tokens from a tokens file get exactly
 * their scopes and stacks, a signed webhook only posts alerts, and a refused request starts nothing.
 */
import axios, { AxiosRequestConfig } from 'axios';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import { ownerStateQuery } from '../src/workflows/definitions';
import { API_TOKEN, HMAC_SECRET, RunningApi, startApi } from './harness/api';
import { createTestEnv, FAST_TIMEOUTS, TestEnv } from './harness/env';

const A = 'scopea';
const B = 'scopeb';
const TOKENS = {
  alertmanager: 'alertmanager-token-0123456789abcdefghijkl',
  opsA: 'ops-a-token-0123456789abcdefghijklmnopqrs',
  webUi: 'web-ui-token-0123456789abcdefghijklmnopqr',
};
let env: TestEnv;
let api: RunningApi;

beforeAll(async () => {
  env = await createTestEnv('api-scopes');
  const stackConfig = (port: number) => ({
    host: env.host,
    services: { godot: { healthUrl: `http://127.0.0.1:${port}/health` } },
    timeouts: FAST_TIMEOUTS,
  });
  // The workers' own config holds both stacks, as the API's does; no container is ever started here.
  env.stack(A, { ports: [19965], services: ['godot'] });
  env.stack(B, { ports: [19966], services: ['godot'] });
  const tokensFile = path.join(env.dataDir, 'api-tokens.json');
  writeFileSync(
    tokensFile,
    JSON.stringify({
      tokens: [
        { name: 'alertmanager', token: TOKENS.alertmanager, scopes: ['alerts'] },
        { name: 'ops-a', token: TOKENS.opsA, scopes: ['operate'], stacks: [A] },
        { name: 'web-ui', token: TOKENS.webUi, scopes: ['codec'] },
      ],
    }),
    { mode: 0o600 },
  );
  api = await startApi(env, { [A]: stackConfig(19965), [B]: stackConfig(19966) }, { tokensFile });
});
afterAll(async () => {
  await api?.close();
  await env?.teardown();
});

const call = (
  method: 'GET' | 'POST',
  url: string,
  token: string | undefined,
  body?: unknown,
  config?: AxiosRequestConfig,
) =>
  axios.request({
    method,
    url: `${api.url}${url}`,
    data: body,
    validateStatus: () => true,
    ...config,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...config?.headers },
  });
let fingerprints = 0;
/** A low-severity alert: the owner logs it and starts nothing. */
const lowAlert = (stack: string) => ({
  stack,
  name: 'MemoryLeak',
  severity: 'low',
  fingerprint: `scopes-${fingerprints++}`,
});
const ownerState = (stack: string) => env.client.workflow.getHandle(ownerWorkflowId(stack)).query(ownerStateQuery);

/** Nothing was started or queued on the stack, and no procedure of this file's task queue exists. */
async function expectNothingStarted(stack: string): Promise<void> {
  const state = await ownerState(stack);
  expect({ started: state.started, running: state.running, queued: state.queued }).toEqual({
    started: [],
    running: undefined,
    queued: [],
  });
  const procedures = [];
  for await (const w of env.client.workflow.list({
    query: `TaskQueue = "${env.taskQueue}" AND WorkflowType != "stackOwner"`,
  }))
    procedures.push(w.workflowId);
  expect(procedures).toEqual([]);
}

test('an alerts token posts alerts, and gets 403 on starting a rollback and on reading a workflow; nothing starts', async () => {
  for (const stack of [A, B]) {
    const posted = await call('POST', '/v1/alerts', TOKENS.alertmanager, lowAlert(stack));
    expect(posted.status).toBe(202);
    expect(posted.data.workflowIds).toEqual([ownerWorkflowId(stack)]);
  }
  const rollback = await call('POST', '/v1/rollbacks', TOKENS.alertmanager, { stack: A, reason: 'let me' });
  expect(rollback.status).toBe(403);
  expect(rollback.data).toEqual({ error: 'token alertmanager lacks scope operate for POST /v1/rollbacks' });
  const read = await call('GET', `/v1/workflows/${ownerWorkflowId(A)}`, TOKENS.alertmanager);
  expect(read.status).toBe(403);
  expect(read.data).toEqual({ error: 'token alertmanager lacks scope read for GET /v1/workflows/:id' });
  await expectNothingStarted(A);
  // The admin token (LIFELINE_API_TOKEN) still reads it: existing setups keep working.
  expect((await call('GET', `/v1/workflows/${ownerWorkflowId(A)}`, API_TOKEN)).status).toBe(200);
});

test('an operate token limited to one stack reads and asks for its own, and gets 403 for the other', async () => {
  await call('POST', '/v1/alerts', TOKENS.alertmanager, lowAlert(B)); // stack B's owner exists, whatever ran first
  const other = await call('GET', `/v1/workflows/${ownerWorkflowId(B)}`, TOKENS.opsA);
  expect(other.status).toBe(403);
  expect(other.data).toEqual({ error: `token ops-a is limited to stacks ${A}; workflow stack:${B} is outside them` });
  expect((await call('POST', '/v1/rollbacks', TOKENS.opsA, { stack: B })).status).toBe(403);
  await expectNothingStarted(B);

  expect([200, 404]).toContain((await call('GET', `/v1/workflows/${ownerWorkflowId(A)}`, TOKENS.opsA)).status);
  expect((await call('GET', `/v1/workflows/quick-rollback:${A}:20000101-000000`, TOKENS.opsA)).status).toBe(404);
  // Past the access check, the route's own answers: no such release on its stack.
  const unknown = await call('POST', '/v1/rollbacks', TOKENS.opsA, { stack: A, releaseId: '20000101-000000' });
  expect(unknown.status).toBe(404);
  expect((await call('POST', '/v1/alerts', TOKENS.opsA, lowAlert(A))).status).toBe(403);
});

test('a codec token decodes but cannot seal (only the admin token can), and gets 403 under /v1', async () => {
  const payload = {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from('"hello"').toString('base64'),
  };
  // A sealed payload would be as good as the key to whoever reaches Temporal.
  const sealing = await call('POST', '/codec/encode', TOKENS.webUi, { payloads: [payload] });
  expect(sealing.status).toBe(403);
  expect(sealing.data).toEqual({ error: 'token web-ui lacks scope seal for POST /codec/encode' });
  const encoded = await call('POST', '/codec/encode', API_TOKEN, { payloads: [payload] });
  expect(encoded.status).toBe(200);
  const decoded = await call('POST', '/codec/decode', TOKENS.webUi, encoded.data);
  expect(decoded.status).toBe(200);
  expect(decoded.data).toEqual({ payloads: [payload] });
  const read = await call('GET', `/v1/workflows/${ownerWorkflowId(A)}`, TOKENS.webUi);
  expect(read.status).toBe(403);
  expect(read.data).toEqual({ error: 'token web-ui lacks scope read for GET /v1/workflows/:id' });
  expect((await call('POST', '/v1/alerts', TOKENS.webUi, lowAlert(A))).status).toBe(403);
  // And the other way round: an alert sender's token decodes nothing.
  expect((await call('POST', '/codec/decode', TOKENS.alertmanager, encoded.data)).status).toBe(403);
});

test('a signed webhook posts an alert but cannot start a rollback', async () => {
  const signed = (url: string, body: object) => {
    const raw = JSON.stringify(body);
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = createHmac('sha256', HMAC_SECRET).update(`${ts}:POST:${url}:${raw}`).digest('hex');
    return call('POST', url, undefined, raw, {
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${sig}`,
        'x-lifeline-timestamp': ts,
      },
    });
  };
  expect((await signed('/v1/alerts', lowAlert(A))).status).toBe(202);
  const rollback = await signed('/v1/rollbacks', { stack: A, reason: 'signed' });
  expect(rollback.status).toBe(403);
  expect(rollback.data).toEqual({ error: 'token webhook-signature lacks scope operate for POST /v1/rollbacks' });
  await expectNothingStarted(A);
});

test('/codec/login with an array-like token answers 400 at once, and an alert posted at the same time is accepted', async () => {
  // Buffer.from({ length: 1e9 }) would block the event loop for tens of seconds: no alert would be answered meanwhile.
  const [login, alert] = await Promise.all([
    call('POST', '/codec/login', undefined, { token: { length: 1e9 } }, { timeout: 10_000 }),
    call('POST', '/v1/alerts', TOKENS.alertmanager, lowAlert(A), { timeout: 10_000 }),
  ]);
  expect(login.status).toBe(400);
  expect(alert.status).toBe(202);
});
