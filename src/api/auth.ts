/**
 * Request authentication: a bearer token (Alertmanager's http_config authorization), or an HMAC-SHA256
 * signature of the raw body, GitHub style (`sha256=<hex>`) or Grafana style (hex of `timestamp:body`).
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

export type AuthResult = { ok: true; method: 'bearer' | 'hmac-github' | 'hmac-grafana' } | { ok: false; reason: string };

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const hmacHex = (secret: string, data: Buffer | string) => createHmac('sha256', secret).update(data).digest('hex');

export function authenticate(
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer,
  secrets: AuthSecrets,
  nowSeconds: number,
): AuthResult {
  const header = (name: string) => {
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const authz = header('authorization');
  if (authz) {
    const m = /^Bearer\s+(.+)$/i.exec(authz);
    if (m && safeEqual(m[1].trim(), secrets.bearerToken)) return { ok: true, method: 'bearer' };
    return { ok: false, reason: 'invalid bearer token' };
  }
  if (!secrets.hmacSecret) return { ok: false, reason: 'missing credentials (Authorization: Bearer <token>)' };
  const github = header('x-hub-signature-256');
  if (github) {
    const expected = `sha256=${hmacHex(secrets.hmacSecret, rawBody)}`;
    return safeEqual(github, expected) ? { ok: true, method: 'hmac-github' } : { ok: false, reason: 'invalid signature' };
  }
  const grafana = header(secrets.grafanaSignatureHeader);
  if (grafana) {
    const ts = header(secrets.grafanaTimestampHeader);
    if (!ts || !/^\d{1,12}$/.test(ts)) return { ok: false, reason: `missing or malformed ${secrets.grafanaTimestampHeader}` };
    if (Math.abs(nowSeconds - Number(ts)) > secrets.maxSkewSeconds) return { ok: false, reason: 'stale signature timestamp' };
    const expected = hmacHex(secrets.hmacSecret, Buffer.concat([Buffer.from(`${ts}:`), rawBody]));
    return safeEqual(grafana.toLowerCase(), expected) ? { ok: true, method: 'hmac-grafana' } : { ok: false, reason: 'invalid signature' };
  }
  return { ok: false, reason: 'missing credentials (Authorization: Bearer <token> or an HMAC signature header)' };
}
