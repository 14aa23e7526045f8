import { createHmac } from 'node:crypto';
import { authenticate, AuthSecrets } from '../../src/api/auth';

const secrets: AuthSecrets = {
  bearerToken: 'tok-123',
  hmacSecret: "It's a Secret to Everybody",
  grafanaSignatureHeader: 'X-Grafana-Alerting-Signature',
  grafanaTimestampHeader: 'X-Grafana-Alerting-Signature-Timestamp',
  maxSkewSeconds: 300,
};
const body = Buffer.from('Hello, World!');
const NOW = 1_800_000_000;

test('GitHub-style signature matches the published test vector', () => {
  const headers = { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' };
  expect(authenticate(headers, body, secrets, NOW)).toEqual({ ok: true, method: 'hmac-github' });
  expect(authenticate(headers, Buffer.from('Hello, World?'), secrets, NOW).ok).toBe(false);
});

test('bearer tokens are compared exactly', () => {
  expect(authenticate({ authorization: 'Bearer tok-123' }, body, secrets, NOW).ok).toBe(true);
  expect(authenticate({ authorization: 'Bearer tok-12' }, body, secrets, NOW).ok).toBe(false);
  expect(authenticate({ authorization: 'Basic dG9rLTEyMw==' }, body, secrets, NOW).ok).toBe(false);
  expect(authenticate({}, body, secrets, NOW)).toEqual({ ok: false, reason: expect.stringMatching(/missing credentials/) });
});

test('Grafana-style signatures cover timestamp:body and go stale after 5 minutes', () => {
  const sign = (ts: number) => createHmac('sha256', secrets.hmacSecret!).update(`${ts}:`).update(body).digest('hex');
  const h = (ts: number, sig = sign(ts)) => ({ 'x-grafana-alerting-signature': sig, 'x-grafana-alerting-signature-timestamp': String(ts) });
  expect(authenticate(h(NOW), body, secrets, NOW).ok).toBe(true);
  expect(authenticate(h(NOW - 301), body, secrets, NOW)).toEqual({ ok: false, reason: 'stale signature timestamp' });
  expect(authenticate(h(NOW, sign(NOW - 1)), body, secrets, NOW).ok).toBe(false);
  expect(authenticate({ 'x-grafana-alerting-signature': sign(NOW) }, body, secrets, NOW).ok).toBe(false);
});
