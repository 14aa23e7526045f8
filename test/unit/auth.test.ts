import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authenticate, AuthSecrets, SIGNATURE_SENDER, signedText } from '../../src/api/auth';
import { SignatureLedger } from '../../src/api/signature-ledger';
import { TokenTable } from '../../src/api/tokens';

const secrets: AuthSecrets = {
  bearerToken: 'tok-0123456789abcdefghijklmnopqrstuv',
  hmacSecret: "It's a Secret to Everybody",
  grafanaSignatureHeader: 'X-Grafana-Alerting-Signature',
  grafanaTimestampHeader: 'X-Grafana-Alerting-Signature-Timestamp',
  maxSkewSeconds: 300,
};
const tokens = new TokenTable(secrets.bearerToken, [], [], []);
const body = Buffer.from('Hello, World!');
const NOW = 1_800_000_000;
const req = (headers: Record<string, string>, method = 'POST', url = '/v1/alerts') => ({ method, url, headers });
const sign = (ts: number, method = 'POST', url = '/v1/alerts', data = body) =>
  createHmac('sha256', secrets.hmacSecret!)
    .update(signedText(String(ts), method, url, data))
    .digest('hex');

test('the signed text is timestamp, method, path and body', () => {
  expect(signedText('1', 'post', '/v1/alerts?x=1', body).toString()).toBe('1:POST:/v1/alerts?x=1:Hello, World!');
});

test('GitHub style: sha256=<hex> over the signed text, with its timestamp; another path, method, body or time fails', () => {
  const gh = (ts: number, sig = sign(ts)) => ({
    'x-hub-signature-256': `sha256=${sig}`,
    'x-lifeline-timestamp': String(ts),
  });
  expect(authenticate(req(gh(NOW)), body, secrets, tokens, NOW)).toEqual({
    ok: true,
    method: 'hmac-github',
    signature: sign(NOW),
    principal: SIGNATURE_SENDER,
  });
  expect(authenticate(req(gh(NOW), 'POST', '/v1/rollbacks'), body, secrets, tokens, NOW).ok).toBe(false);
  expect(authenticate(req(gh(NOW), 'GET'), body, secrets, tokens, NOW).ok).toBe(false);
  expect(authenticate(req(gh(NOW)), Buffer.from('Hello, World?'), secrets, tokens, NOW).ok).toBe(false);
  expect(authenticate(req({ 'x-hub-signature-256': `sha256=${sign(NOW)}` }), body, secrets, tokens, NOW)).toEqual({
    ok: false,
    reason: 'missing or malformed x-lifeline-timestamp',
  });
  expect(authenticate(req(gh(NOW - 301)), body, secrets, tokens, NOW)).toEqual({
    ok: false,
    reason: 'stale signature timestamp',
  });
});

test('bearer tokens are compared exactly: no blank, no non-breaking space, no other scheme', () => {
  expect(authenticate(req({ authorization: `Bearer ${secrets.bearerToken}` }), body, secrets, tokens, NOW).ok).toBe(
    true,
  );
  expect(
    authenticate(req({ authorization: `Bearer ${secrets.bearerToken.slice(1)}` }), body, secrets, tokens, NOW).ok,
  ).toBe(false);
  expect(
    authenticate(req({ authorization: 'Bearer \u00a0' }), body, secrets, new TokenTable('', [], [], []), NOW).ok,
  ).toBe(false);
  expect(authenticate(req({ authorization: 'Bearer ' }), body, secrets, new TokenTable('', [], [], []), NOW).ok).toBe(
    false,
  );
  expect(
    authenticate(
      req({ authorization: `Basic ${Buffer.from(secrets.bearerToken).toString('base64')}` }),
      body,
      secrets,
      tokens,
      NOW,
    ).ok,
  ).toBe(false);
  expect(authenticate(req({}), body, secrets, tokens, NOW)).toEqual({
    ok: false,
    reason: expect.stringMatching(/missing credentials/),
  });
});

test('Grafana style, as Grafana signs: bare hex over `<timestamp>:<raw body>`; the canonical (lower-case) form is what the ledger keys on', () => {
  // Computed as Grafana's webhook notifier documents it, independently of grafanaSignedText.
  const grafanaSign = (ts: number) =>
    createHmac('sha256', secrets.hmacSecret!)
      .update(`${ts}:${body.toString('utf8')}`)
      .digest('hex');
  const h = (ts: number, sig = grafanaSign(ts)) => ({
    'x-grafana-alerting-signature': sig,
    'x-grafana-alerting-signature-timestamp': String(ts),
  });
  const lower = authenticate(req(h(NOW)), body, secrets, tokens, NOW);
  const upper = authenticate(req(h(NOW, grafanaSign(NOW).toUpperCase())), body, secrets, tokens, NOW);
  expect(lower).toEqual({ ok: true, method: 'hmac-grafana', signature: grafanaSign(NOW), principal: SIGNATURE_SENDER });
  expect(upper).toEqual(lower);
  // The GitHub-style text (method and path) is not what Grafana signs: refused.
  expect(authenticate(req(h(NOW, sign(NOW))), body, secrets, tokens, NOW)).toEqual({
    ok: false,
    reason: 'invalid signature',
  });
  expect(authenticate(req(h(NOW - 301)), body, secrets, tokens, NOW)).toEqual({
    ok: false,
    reason: 'stale signature timestamp',
  });
  // Without the timestamp header nothing bounds a replay: refused.
  expect(authenticate(req({ 'x-grafana-alerting-signature': grafanaSign(NOW) }), body, secrets, tokens, NOW).ok).toBe(
    false,
  );
});

test('the ledger refuses a second claim, also from another instance on the same folder (a restart, a second API)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
  const a = new SignatureLedger(dir, 300_000);
  expect(a.claim('abc', 1000)).toBe(true);
  expect(a.claim('abc', 1001)).toBe(false);
  expect(new SignatureLedger(dir, 300_000).claim('abc', 1002)).toBe(false);
  expect(new SignatureLedger(dir, 300_000).claim('abd', 1003)).toBe(true);
});
