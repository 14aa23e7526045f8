/**
 * Scopes in the API: every route declares the one it needs (and docs/SECURITY.md lists them all), a route
 * without one cannot be added, and each token or signature gets exactly what its scopes and stacks allow,
 * against a client that records what would have reached Temporal.
 */
import Fastify, { FastifyInstance } from 'fastify';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enforceAccess } from '../../src/api/access';
import { buildApi } from '../../src/api/server';
import { configSchema } from '../../src/domain/config';
import type { ProcedureRequest } from '../../src/domain/owner';
import { stackOfWorkflowId } from '../../src/domain/workflow-ids';
import { RecordedCall, recordingClient } from '../harness/recording-client';
import { unitCodec } from '../harness/unit-codec';

const ROOT = path.resolve(__dirname, '../..');
const ADMIN = 'admin-token-0123456789abcdefghijklmnopq';
const SECRET = 'access-hmac-secret';
const token = (name: string) => `${name}-token-0123456789abcdefghijklmnopqrstuv`;
let app: FastifyInstance;
let calls: RecordedCall[];

beforeAll(async () => {
  const recording = recordingClient();
  calls = recording.calls;
  app = await buildApi({
    config: configSchema.parse({
      dataDir: mkdtempSync(path.join(os.tmpdir(), 'access-')),
      stacks: { alpha: { services: { godot: {} } }, beta: { services: { godot: {} } } },
    }),
    client: recording.client,
    codec: unitCodec(),
    decisionKey: 'unit-decision-key-0123456789abcdefghijklmnop',
    logLevel: 'silent',
    secrets: {
      bearerToken: ADMIN,
      hmacSecret: SECRET,
      grafanaSignatureHeader: 'X-Grafana-Alerting-Signature',
      grafanaTimestampHeader: 'X-Grafana-Alerting-Signature-Timestamp',
      maxSkewSeconds: 300,
    },
    tokens: [
      { name: 'alertmanager', token: token('alertmanager'), scopes: ['alerts'] },
      { name: 'ops-alice', token: token('ops-alice'), scopes: ['operate'], stacks: ['alpha'] },
      { name: 'reader', token: token('reader'), scopes: ['read'] },
      { name: 'web-ui', token: token('web-ui'), scopes: ['codec'] },
    ],
  });
});
afterAll(async () => {
  await app?.close();
});

const request = (method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: object) =>
  app.inject({
    method,
    url,
    headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    payload: body ? JSON.stringify(body) : undefined,
  });
const as = (name: string) => ({ authorization: `Bearer ${name === 'admin' ? ADMIN : token(name)}` });
const alert = { stack: 'alpha', name: 'MemoryLeak', severity: 'low' };
let fingerprints = 0;
const freshAlert = () => ({ ...alert, fingerprint: `access-${fingerprints++}` });
const takeCalls = () => calls.splice(0);

test('every route declares its scope, and docs/SECURITY.md lists each route with it', () => {
  const routes = app.routeAccess.map((r) => `${r.method} ${r.url} ${r.access}`).sort();
  expect(routes).toEqual(
    [
      'GET /healthz public',
      'GET /metrics public',
      'POST /v1/rollbacks operate',
      'GET /v1/workflows/:id read',
      'POST /v1/workflows/:id/decisions decide',
      'POST /v1/stacks/:stack/lift decide',
      'GET /decide/:pass public',
      'POST /decide/:pass public',
      'POST /v1/alerts/alertmanager alerts',
      'POST /v1/alerts/grafana alerts',
      'POST /v1/alerts alerts',
      'OPTIONS /codec/* public',
      'POST /codec/encode seal',
      'POST /codec/decode codec',
      'GET /codec/login public',
      'POST /codec/login public',
    ].sort(),
  );
  // Rows as prettier aligns them: | `POST /v1/rollbacks` | `operate` | ... |
  const doc = readFileSync(path.join(ROOT, 'docs/SECURITY.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `([A-Z]+ \S+)` *\| `(\w+)` *\|/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
  expect(documented).toEqual(routes);
});

test('a route that declares no scope cannot be added', async () => {
  const bare = Fastify();
  enforceAccess(bare);
  bare.get('/open', { config: { access: 'public' } }, async () => 'ok');
  expect(() => bare.get('/forgotten', async () => 'oops')).toThrow(
    'route GET /forgotten declares no access (config: { access })',
  );
  await bare.close();
});

test('an alerts token posts alerts, and gets 403 naming token, scope and route anywhere else; nothing is started', async () => {
  expect((await request('POST', '/v1/alerts', as('alertmanager'), freshAlert())).statusCode).toBe(202);
  expect(takeCalls().map((c) => c.kind)).toEqual(['signalWithStart']);
  const rollback = await request('POST', '/v1/rollbacks', as('alertmanager'), { stack: 'alpha' });
  expect(rollback.statusCode).toBe(403);
  expect(rollback.json()).toEqual({ error: 'token alertmanager lacks scope operate for POST /v1/rollbacks' });
  const read = await request('GET', '/v1/workflows/stack:alpha', as('alertmanager'));
  expect(read.statusCode).toBe(403);
  expect(read.json()).toEqual({ error: 'token alertmanager lacks scope read for GET /v1/workflows/:id' });
  expect((await request('POST', '/codec/decode', as('alertmanager'), { payloads: [] })).json()).toEqual({
    error: 'token alertmanager lacks scope codec for POST /codec/decode',
  });
  // Refused before the body is looked at: bad JSON is not reported to a token that may not post here.
  const bad = await app.inject({
    method: 'POST',
    url: '/v1/rollbacks',
    headers: { ...as('alertmanager'), 'content-type': 'application/json' },
    payload: '{not json',
  });
  expect(bad.statusCode).toBe(403);
  expect(takeCalls()).toEqual([]);
  // An unknown token stays 401.
  expect((await request('POST', '/v1/alerts', as('nobody'), freshAlert())).statusCode).toBe(401);
});

test('an operate token limited to a stack starts rollbacks and reads workflows of that stack only, recorded under its name', async () => {
  const own = await request('POST', '/v1/rollbacks', as('ops-alice'), { stack: 'alpha', requestedBy: 'alice' });
  expect(own.statusCode).toBe(202);
  const [started] = takeCalls();
  expect((started.args as [ProcedureRequest])[0].args.requestedBy).toBe('alice (token ops-alice)');
  expect((await request('POST', '/v1/rollbacks', as('ops-alice'), { stack: 'alpha' })).statusCode).toBe(202);
  expect((takeCalls()[0].args as [ProcedureRequest])[0].args.requestedBy).toBe('ops-alice');

  const other = await request('POST', '/v1/rollbacks', as('ops-alice'), { stack: 'beta' });
  expect(other.statusCode).toBe(403);
  expect(other.json()).toEqual({ error: 'token ops-alice is limited to stacks alpha; stack beta is outside them' });
  for (const id of ['stack:beta', 'quick-rollback:beta:20260101-120000', 'emergency:rollback-failed:beta:x', 'nope']) {
    const read = await request('GET', `/v1/workflows/${encodeURIComponent(id)}`, as('ops-alice'));
    expect([id, read.statusCode]).toEqual([id, 403]);
  }
  expect(takeCalls()).toEqual([]);
  // Its own stack's workflows get past the access check (the recording client reads nothing: 503).
  for (const id of ['stack:alpha', 'quick-rollback:alpha:20260101-120000:post-actions'])
    expect((await request('GET', `/v1/workflows/${encodeURIComponent(id)}`, as('ops-alice'))).statusCode).toBe(503);
  expect((await request('POST', '/v1/alerts', as('ops-alice'), freshAlert())).statusCode).toBe(403);
});

test('a read token reads any workflow and starts nothing; the admin token holds every scope', async () => {
  expect((await request('GET', '/v1/workflows/stack:beta', as('reader'))).statusCode).toBe(503);
  expect((await request('POST', '/v1/rollbacks', as('reader'), { stack: 'beta' })).json()).toEqual({
    error: 'token reader lacks scope operate for POST /v1/rollbacks',
  });
  expect(takeCalls()).toEqual([]);
  const admin = await request('POST', '/v1/rollbacks', as('admin'), { stack: 'beta', requestedBy: 'ci' });
  expect(admin.statusCode).toBe(202);
  expect((takeCalls()[0].args as [ProcedureRequest])[0].args.requestedBy).toBe('ci (token admin)');
  expect((await request('POST', '/codec/decode', as('admin'), { payloads: [] })).statusCode).toBe(200);
});

test('a codec token decodes, by bearer or by its login session, and opens nothing under /v1', async () => {
  expect((await request('POST', '/codec/decode', as('web-ui'), { payloads: [] })).json()).toEqual({ payloads: [] });
  expect((await request('GET', '/v1/workflows/stack:alpha', as('web-ui'))).statusCode).toBe(403);
  const login = (t: string) =>
    app.inject({
      method: 'POST',
      url: '/codec/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: t }).toString(),
    });
  const refused = await login(token('alertmanager'));
  expect(refused.statusCode).toBe(403);
  expect(refused.body).toContain('token alertmanager lacks scope codec for POST /codec/login');
  expect((await login('wrong')).statusCode).toBe(401);
  const session = /^([^;]+);/.exec(String((await login(token('web-ui'))).headers['set-cookie']))![1];
  expect((await request('POST', '/codec/decode', { cookie: session }, { payloads: [] })).statusCode).toBe(200);
  expect((await request('POST', '/codec/decode', { cookie: `${session}0` }, { payloads: [] })).statusCode).toBe(401);
  expect((await request('GET', '/v1/workflows/stack:alpha', { cookie: session })).statusCode).toBe(401);
});

test('a valid HMAC signature posts alerts and cannot start a rollback', async () => {
  const signed = (url: string, body: object) => {
    const ts = String(Math.floor(Date.now() / 1000));
    const raw = JSON.stringify(body);
    const sig = createHmac('sha256', SECRET).update(`${ts}:POST:${url}:${raw}`).digest('hex');
    return app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${sig}`,
        'x-lifeline-timestamp': ts,
      },
      payload: raw,
    });
  };
  expect((await signed('/v1/alerts', freshAlert())).statusCode).toBe(202);
  takeCalls();
  const rollback = await signed('/v1/rollbacks', { stack: 'alpha' });
  expect(rollback.statusCode).toBe(403);
  expect(rollback.json()).toEqual({ error: 'token webhook-signature lacks scope operate for POST /v1/rollbacks' });
  expect(takeCalls()).toEqual([]);
});

test('the stack a workflow ID names: owner, procedure, emergency, and their children', () => {
  expect(stackOfWorkflowId('stack:spacetime')).toBe('spacetime');
  expect(stackOfWorkflowId('quick-rollback:spacetime:20261125-190216')).toBe('spacetime');
  expect(stackOfWorkflowId('quick-rollback:spacetime:20261125-190216-2:verify:3')).toBe('spacetime');
  expect(stackOfWorkflowId('emergency:data-corruption:spacetime:20261125-190216')).toBe('spacetime');
  expect(stackOfWorkflowId('emergency:rollback-failed:spacetime:quick-rollback:spacetime:20261125-190216')).toBe(
    'spacetime',
  );
  for (const id of ['nope', 'stack:', 'stack:a:b', 'toString:spacetime:1', 'quick-rollback:spacetime', 'emergency:x'])
    expect([id, stackOfWorkflowId(id)]).toEqual([id, undefined]);
});
