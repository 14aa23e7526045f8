/**
 * Hostile text in payloads of valid shape: every field of an Alertmanager alert, a generic alert and a
 * rollback request holds generated hostile text (mentions, CR/LF, terminal escapes, NULs, prototype names,
 * any Unicode). The API runs against a client that records what would have reached Temporal, so each
 * answer's exact status and exactly what was sent are asserted: the text arrives unchanged, only the
 * stack's name travels (never its settings), and nothing reaches an owner for a stack that is not configured.
 */
import fc from 'fast-check';
import axios from 'axios';
import type { FastifyInstance } from 'fastify';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildApi } from '../../src/api/server';
import { configSchema } from '../../src/domain/config';
import type { AlertEvent } from '../../src/domain/alerts';
import type { ProcedureRequest } from '../../src/domain/owner';
import { unitCodec } from '../harness/unit-codec';
import { RecordedCall, recordingClient } from '../harness/recording-client';

const TOKEN = 'fuzz-token-0123456789abcdefghijklmnop';
const STACK = 'fuzzstack';
let app: FastifyInstance;
let base: string;
let calls: RecordedCall[];
const http = axios.create({ validateStatus: () => true });
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  const recording = recordingClient();
  calls = recording.calls;
  app = await buildApi({
    config: configSchema.parse({
      dataDir: mkdtempSync(path.join(os.tmpdir(), 'fuzz-valid-')),
      stacks: { [STACK]: { services: { godot: {} } } },
    }),
    client: recording.client,
    codec: unitCodec(),
    decisionKey: 'unit-decision-key-0123456789abcdefghijklmnop',
    logLevel: 'silent',
    secrets: {
      bearerToken: TOKEN,
      hmacSecret: 'fuzz-secret',
      grafanaSignatureHeader: 'X-Grafana-Alerting-Signature',
      grafanaTimestampHeader: 'X-Grafana-Alerting-Signature-Timestamp',
      maxSkewSeconds: 300,
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
});

const HOSTILE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'];
const hostileText = (maxLength: number) =>
  fc
    .oneof(
      fc.constantFrom(
        '<!channel>',
        '<!here> <@U123>',
        'a\r\nforged: line',
        '\u001b[2J\u001b[31mred',
        '\u0000nul',
        '${jndi:ldap://127.0.0.1/x}',
        '../../etc/passwd',
        '$(reboot)',
        '🔥',
        ...HOSTILE_NAMES,
      ),
      fc.string({ unit: 'binary', minLength: 1, maxLength }),
    )
    .filter((t) => t.length >= 1 && t.length <= maxLength);
/** Stack labels: the configured one, prototype names, or anything. */
const stackLabel = fc.oneof(fc.constant(STACK), fc.constantFrom(...HOSTILE_NAMES), hostileText(60));
let unique = 0;
const fingerprint = () => `fp${(unique++).toString(16).padStart(12, '0')}`;

const takeCalls = () => calls.splice(0);

test("Alertmanager payloads with hostile text in every field: 202, and exactly the configured stack's alerts reach its owner, unchanged", async () => {
  const alert = fc.record({
    status: fc.constantFrom('firing', 'resolved'),
    alertname: hostileText(1024),
    stack: stackLabel,
    severity: hostileText(1024),
    summary: hostileText(4096),
    extraKey: hostileText(40),
    extraValue: hostileText(1024),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(alert, { minLength: 1, maxLength: 5 }), hostileText(200), async (alerts, receiver) => {
      takeCalls();
      const sent = alerts.map((a) => ({
        status: a.status,
        labels: { ...{ [a.extraKey]: a.extraValue }, alertname: a.alertname, stack: a.stack, severity: a.severity },
        annotations: { summary: a.summary },
        startsAt: new Date(Date.UTC(2026, 0, 1) + unique * 1000).toISOString(),
        fingerprint: fingerprint(),
      }));
      const res = await http.post(
        `${base}/v1/alerts/alertmanager`,
        { version: '4', status: 'firing', receiver, groupKey: receiver, alerts: sent },
        { headers: auth },
      );
      expect(res.status).toBe(202);
      const routed = sent.filter((a) => a.labels.stack === STACK);
      expect(res.data).toMatchObject({ accepted: routed.length, deduplicated: 0 });
      expect(res.data.unrouted).toHaveLength(sent.length - routed.length);
      const recorded = takeCalls();
      if (routed.length === 0) return expect(recorded).toEqual([]);
      expect(recorded).toHaveLength(1);
      const [call] = recorded;
      expect(call).toMatchObject({ kind: 'signalWithStart', workflowId: `stack:${STACK}` });
      expect(call.startArgs).toEqual([{ stack: { name: STACK }, approvalTimeoutSeconds: expect.any(Number) }]);
      const events = call.args[0] as AlertEvent[];
      // A "__proto__" or "constructor" label key never reaches an object's prototype.
      for (const e of events) expect(Object.getPrototypeOf(e.labels)).toBe(Object.prototype);
      expect(events.map((e) => [e.stack, e.name, e.summary, e.fingerprint, e.status])).toEqual(
        routed.map((a) => [STACK, a.labels.alertname, a.annotations.summary, a.fingerprint, a.status]),
      );
    }),
    { numRuns: 300 },
  );
});

test('generic alerts with hostile text: 202 for the configured stack, recorded unchanged; 404 for any other name, nothing recorded', async () => {
  await fc.assert(
    fc.asyncProperty(
      stackLabel,
      hostileText(200),
      hostileText(2000),
      fc.constantFrom('critical', 'high', 'medium', 'low'),
      async (stack, name, summary, severity) => {
        takeCalls();
        const res = await http.post(
          `${base}/v1/alerts`,
          { stack, name, summary, severity, fingerprint: fingerprint() },
          { headers: auth },
        );
        const recorded = takeCalls();
        if (stack !== STACK) {
          expect(res.status).toBe(404);
          return expect(recorded).toEqual([]);
        }
        expect(res.status).toBe(202);
        expect(recorded).toHaveLength(1);
        expect((recorded[0].args[0] as AlertEvent[]).map((e) => [e.stack, e.name, e.summary, e.severity])).toEqual([
          [STACK, name, summary, severity],
        ]);
      },
    ),
    { numRuns: 300 },
  );
});

test('rollback requests with hostile text: exact statuses, and only the stack name, reason and requester reach the owner', async () => {
  await fc.assert(
    fc.asyncProperty(
      stackLabel,
      hostileText(1990),
      hostileText(200),
      fc.oneof(fc.constant('production'), fc.constant('staging'), hostileText(40)),
      async (stack, reason, requestedBy, environment) => {
        takeCalls();
        const res = await http.post(
          `${base}/v1/rollbacks`,
          { stack, reason, requestedBy, environment },
          { headers: auth },
        );
        const recorded = takeCalls();
        const validName = /^[a-z0-9][a-z0-9_-]{0,62}$/.test(stack);
        const validEnvironment = /^[a-z0-9-]{1,32}$/.test(environment);
        const expected =
          !validName || !validEnvironment ? 400 : stack !== STACK ? 404 : environment !== 'production' ? 422 : 202;
        expect(res.status).toBe(expected);
        if (expected !== 202) return expect(recorded).toEqual([]);
        expect(recorded).toHaveLength(1);
        const [request] = recorded[0].args as [ProcedureRequest];
        expect(recorded[0].workflowId).toBe(`stack:${STACK}`);
        expect(request).toEqual({
          procedure: 'quick-rollback',
          whenBusy: 'refuse',
          args: { stack: { name: STACK }, trigger: 'api', reason, requestedBy: `${requestedBy} (token admin)` },
        });
      },
    ),
    { numRuns: 300 },
  );
});
