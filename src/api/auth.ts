/**
 * Request authentication: a bearer token (Alertmanager's http_config authorization), or an HMAC-SHA256
 * signature over `<timestamp>:<METHOD>:<path>:<raw body>`, so a signature opens only the request it was
 * made for, and only within its window. Two header styles: GitHub's (`X-Hub-Signature-256: sha256=<hex>`
 * with `X-Lifeline-Timestamp`) and Grafana's (hex in its configured header, with its timestamp header).
 * The caller makes each signature single-use on its canonical (lower-case) form.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface AuthSecrets {
  bearerToken: string;
  hmacSecret?: string;
  /** Header carrying a Grafana-style signature. */
  grafanaSignatureHeader: string;
  grafanaTimestampHeader: string;
  maxSkewSeconds: number;
}

export const GITHUB_TIMESTAMP_HEADER = 'x-lifeline-timestamp';

export type AuthResult =
  | { ok: true; method: 'bearer' }
  | { ok: true; method: 'hmac-github' | 'hmac-grafana'; signature: string }
  | { ok: false; reason: string };

export function safeEqual(a: string, b: string): boolean {
  // Only strings: an array-like object would have Buffer.from allocate whatever length it claims.
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What is signed: timestamp, method, path (with query) and the raw body bytes. */
export function signedText(timestamp: string, method: string, url: string, rawBody: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}:${method.toUpperCase()}:${url}:`), rawBody]);
}

export const hmacHex = (secret: string, data: Buffer | string) =>
  createHmac('sha256', secret).update(data).digest('hex');

export function authenticate(
  request: { method: string; url: string; headers: Record<string, string | string[] | undefined> },
  rawBody: Buffer,
  secrets: AuthSecrets,
  nowSeconds: number,
): AuthResult {
  const header = (name: string) => {
    const v = request.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const authz = header('authorization');
  if (authz) {
    // Exactly one space and visible ASCII: no trimming that could turn a blank into a match.
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(authz);
    if (m && safeEqual(m[1], secrets.bearerToken)) return { ok: true, method: 'bearer' };
    return { ok: false, reason: 'invalid bearer token' };
  }
  if (!secrets.hmacSecret) return { ok: false, reason: 'missing credentials (Authorization: Bearer <token>)' };
  const verify = (
    method: 'hmac-github' | 'hmac-grafana',
    given: string,
    ts: string | undefined,
    tsHeader: string,
  ): AuthResult => {
    if (!ts || !/^\d{1,12}$/.test(ts)) return { ok: false, reason: `missing or malformed ${tsHeader}` };
    if (Math.abs(nowSeconds - Number(ts)) > secrets.maxSkewSeconds)
      return { ok: false, reason: 'stale signature timestamp' };
    const canonical = given.toLowerCase();
    const expected = hmacHex(secrets.hmacSecret!, signedText(ts, request.method, request.url, rawBody));
    return safeEqual(canonical, expected)
      ? { ok: true, method, signature: canonical }
      : { ok: false, reason: 'invalid signature' };
  };
  const github = header('x-hub-signature-256');
  if (github) {
    const m = /^sha256=([0-9a-fA-F]{64})$/.exec(github);
    if (!m) return { ok: false, reason: 'invalid signature' };
    return verify('hmac-github', m[1], header(GITHUB_TIMESTAMP_HEADER), GITHUB_TIMESTAMP_HEADER);
  }
  const grafana = header(secrets.grafanaSignatureHeader);
  if (grafana)
    return verify('hmac-grafana', grafana, header(secrets.grafanaTimestampHeader), secrets.grafanaTimestampHeader);
  return { ok: false, reason: 'missing credentials (Authorization: Bearer <token> or an HMAC signature header)' };
}
