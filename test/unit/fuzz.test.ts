/**
 * Hostile input: thousands of generated malformed payloads at every endpoint, with and without valid
 * credentials. Temporal is deliberately unreachable here, so anything that got past validation would show
 * as a 503: every answer must be a 4xx, and nothing may crash.
 */
import { unitCodec } from '../harness/unit-codec';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { configSchema } from '../../src/domain/config';

const TOKEN = 'fuzz-token-0123456789abcdefghijklmnop';
const SECRET = 'fuzz-secret';
let app: FastifyInstance;
let connection: Connection;

beforeAll(async () => {
  connection = Connection.lazy({ address: '127.0.0.1:1' });
  app = await buildApi({
    config: configSchema.parse({
      dataDir: mkdtempSync(path.join(os.tmpdir(), 'fuzz-')),
      stacks: { fuzzstack: { services: { godot: {} } } },
    }),
    client: new Client({ connection }),
    codec: unitCodec(),
    decisionKey: 'unit-decision-key-0123456789abcdefghijklmnop',
    logLevel: 'silent',
    secrets: {
      bearerToken: TOKEN,
      hmacSecret: SECRET,
      grafanaSignatureHeader: 'X-Grafana-Alerting-Signature',
      grafanaTimestampHeader: 'X-Grafana-Alerting-Signature-Timestamp',
      maxSkewSeconds: 300,
    },
  });
});
afterAll(async () => {
  await app?.close();
  await connection?.close();
});

const hostile = fc.constantFrom(
  '../etc/passwd',
  '..',
  '/',
  'a/../../b',
  '$(reboot)',
  '`id`',
  'x;rm -rf /',
  'nul\u0000byte',
  'A'.repeat(5000),
  '%2e%2e%2f',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '20251202-143022/..',
  'spacetime\n',
  '🔥',
);
const junk = fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostile, fc.string({ maxLength: 40 }));
const labels = fc.oneof(junk, fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), hostile), junk, { maxKeys: 5 }));
const upstreamAlert = fc.record(
  { status: junk, labels, annotations: labels, startsAt: junk, endsAt: junk, fingerprint: junk },
  { requiredKeys: [] },
);
const upstream = fc.record(
  {
    version: fc.oneof(fc.constantFrom('4', '1'), junk),
    status: junk,
    receiver: junk,
    groupKey: junk,
    alerts: fc.oneof(junk, fc.array(upstreamAlert, { maxLength: 3 })),
    groupLabels: labels,
  },
  { requiredKeys: [] },
);
const generic = fc.record(
  { stack: fc.oneof(hostile, junk), name: junk, severity: junk, status: junk, startsAt: junk, fingerprint: junk },
  { requiredKeys: [] },
);
const rollback = fc.record(
  {
    stack: fc.oneof(hostile, junk),
    releaseId: fc.oneof(hostile, junk),
    imageTag: fc.oneof(hostile, junk),
    environment: junk,
    extra: junk,
  },
  { requiredKeys: [] },
);
const body = (shape: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 5, arbitrary: shape.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: junk.map((v) => JSON.stringify(v)) },
  );

const ENDPOINTS: [string, fc.Arbitrary<string>][] = [
  ['/v1/alerts/alertmanager', body(upstream)],
  ['/v1/alerts/grafana', body(upstream)],
  ['/v1/alerts', body(generic)],
  ['/v1/rollbacks', body(rollback)],
];

type Auth = 'bearer' | 'none' | 'wrong-bearer' | 'forged-hmac' | 'expired-hmac';
function headers(auth: Auth, raw: string): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  switch (auth) {
    case 'bearer':
      return { authorization: `Bearer ${TOKEN}` };
    case 'wrong-bearer':
      return { authorization: `Bearer ${TOKEN}x` };
    case 'forged-hmac':
      return { 'x-hub-signature-256': `sha256=${createHmac('sha256', 'not-the-secret').update(raw).digest('hex')}` };
    case 'expired-hmac': {
      const ts = now - 600;
      return {
        'X-Grafana-Alerting-Signature': createHmac('sha256', SECRET).update(`${ts}:${raw}`).digest('hex'),
        'X-Grafana-Alerting-Signature-Timestamp': String(ts),
      };
    }
    default:
      return {};
  }
}

const statuses = new Map<number, number>();
async function send(url: string, raw: string, auth: Auth): Promise<number> {
  // Fastify's inject: the whole request lifecycle (parsers, limits, hooks, routes) without a socket per payload.
  const res = await app.inject({
    method: 'POST',
    url,
    payload: raw,
    headers: { 'content-type': 'application/json', ...headers(auth, raw) },
  });
  statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
  return res.statusCode;
}

test.each(ENDPOINTS)('%s: 2,500 hostile payloads with valid credentials get 4xx only', async (url, payloads) => {
  await fc.assert(
    fc.asyncProperty(payloads, async (raw) => {
      const status = await send(url, raw, 'bearer');
      expect(status >= 400 && status < 500).toBe(true);
    }),
    { numRuns: 2500 },
  );
});

test.each(ENDPOINTS)('%s: 1,000 payloads without valid credentials get 401', async (url, payloads) => {
  await fc.assert(
    fc.asyncProperty(
      payloads,
      fc.constantFrom<Auth>('none', 'wrong-bearer', 'forged-hmac', 'expired-hmac'),
      async (raw, auth) => {
        expect(await send(url, raw, auth)).toBe(401);
      },
    ),
    { numRuns: 1000 },
  );
});

test('workflow IDs with path tricks are refused before any Temporal call', async () => {
  const malformed = fc
    .oneof(hostile, fc.string({ maxLength: 300 }))
    .filter((id) => !/^[A-Za-z0-9:_.-]{1,200}$/.test(id));
  await fc.assert(
    fc.asyncProperty(malformed, async (id) => {
      const res = await app.inject({
        method: 'GET',
        url: `/v1/workflows/${encodeURIComponent(id)}`,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.statusCode >= 400 && res.statusCode < 500).toBe(true);
    }),
    { numRuns: 500 },
  );
  expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
});

test('/codec/login takes only a token-sized string: array-like, nested and oversized tokens get 400, a wrong one 401', async () => {
  const login = (payload: string, type = 'application/json') =>
    app.inject({ method: 'POST', url: '/codec/login', payload, headers: { 'content-type': type } });
  // An array-like "token" claiming a billion elements is refused before anything reads it.
  expect((await login(JSON.stringify({ token: { length: 1_000_000_000 } }))).statusCode).toBe(400);
  expect((await login(JSON.stringify({ token: ['a', 'b'] }))).statusCode).toBe(400);
  expect((await login(JSON.stringify({ token: 'x'.repeat(2000) }))).statusCode).toBe(400);
  expect((await login(JSON.stringify({ token: 'x'.repeat(5000) }))).statusCode).toBe(413); // past the body limit
  expect((await login('token=wrong', 'application/x-www-form-urlencoded')).statusCode).toBe(401);
  const ok = await login(`token=${TOKEN}`, 'application/x-www-form-urlencoded');
  expect(ok.statusCode).toBe(200);
  expect(ok.headers['set-cookie']).toMatch(/^lifeline_codec=/);
  await fc.assert(
    fc.asyncProperty(
      fc.record({ token: fc.oneof(junk, fc.array(junk, { maxLength: 3 })), extra: junk }, { requiredKeys: [] }),
      async (form) => {
        const status = (await login(JSON.stringify(form))).statusCode;
        expect([400, 401, 413]).toContain(status);
      },
    ),
    { numRuns: 1000 },
  );
});
