/**
 * Request authentication: a bearer token (Alertmanager's http_config authorization), or an HMAC-SHA256
 * signature, good only within its window. Two styles:
 * - GitHub's header (`X-Hub-Signature-256: sha256=<hex>` with `X-Lifeline-Timestamp`) over
 *   `<timestamp>:<METHOD>:<path>:<raw body>`, so it opens only the request it was made for;
 * - Grafana's webhook contact point with an HMAC secret and a Timestamp Header, as Grafana sends it: bare
 *   hex over `<timestamp>:<raw body>` (https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/).
 *   It names no route, and a signature only ever opens alert routes.
 * The caller makes each signature single-use on its canonical (lower-case) form. A token authenticates as
 * its name and scopes; a signature as a webhook sender, which may post alerts and nothing else.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SIGNATURE_SENDER_NAME } from '../config/api-tokens';
import type { Principal } from './access';
import type { TokenTable } from './tokens';

export interface AuthSecrets {
  /** The admin token: every scope. */
  bearerToken: string;
  hmacSecret?: string;
  /** Header carrying a Grafana-style signature. */
  grafanaSignatureHeader: string;
  grafanaTimestampHeader: string;
  maxSkewSeconds: number;
}

export const GITHUB_TIMESTAMP_HEADER = 'x-lifeline-timestamp';

export type AuthResult =
  | { ok: true; method: 'bearer'; principal: Principal }
  | { ok: true; method: 'hmac-github' | 'hmac-grafana'; signature: string; principal: Principal }
  | { ok: false; reason: string };

/** Whoever holds the HMAC secret: alert senders share it, so it opens the alert routes only. */
export const SIGNATURE_SENDER: Principal = { name: SIGNATURE_SENDER_NAME, scopes: ['alerts'] };

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

/** What Grafana signs when its contact point has a Timestamp Header: `<timestamp>:<raw body>`. */
export const grafanaSignedText = (rawBody: Buffer) => (timestamp: string) =>
  Buffer.concat([Buffer.from(`${timestamp}:`), rawBody]);

export const hmacHex = (secret: string, data: Buffer | string) =>
  createHmac('sha256', secret).update(data).digest('hex');

export function authenticate(
  request: { method: string; url: string; headers: Record<string, string | string[] | undefined> },
  rawBody: Buffer,
  secrets: AuthSecrets,
  tokens: TokenTable,
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
    const principal = m ? tokens.find(m[1]) : undefined;
    if (principal) return { ok: true, method: 'bearer', principal };
    return { ok: false, reason: 'invalid bearer token' };
  }
  if (!secrets.hmacSecret) return { ok: false, reason: 'missing credentials (Authorization: Bearer <token>)' };
  const verify = (
    method: 'hmac-github' | 'hmac-grafana',
    given: string,
    ts: string | undefined,
    tsHeader: string,
    signed: (ts: string) => Buffer,
  ): AuthResult => {
    if (!ts || !/^\d{1,12}$/.test(ts)) return { ok: false, reason: `missing or malformed ${tsHeader}` };
    if (Math.abs(nowSeconds - Number(ts)) > secrets.maxSkewSeconds)
      return { ok: false, reason: 'stale signature timestamp' };
    const canonical = given.toLowerCase();
    const expected = hmacHex(secrets.hmacSecret!, signed(ts));
    return safeEqual(canonical, expected)
      ? { ok: true, method, signature: canonical, principal: SIGNATURE_SENDER }
      : { ok: false, reason: 'invalid signature' };
  };
  const github = header('x-hub-signature-256');
  if (github) {
    const m = /^sha256=([0-9a-fA-F]{64})$/.exec(github);
    if (!m) return { ok: false, reason: 'invalid signature' };
    return verify('hmac-github', m[1], header(GITHUB_TIMESTAMP_HEADER), GITHUB_TIMESTAMP_HEADER, (ts) =>
      signedText(ts, request.method, request.url, rawBody),
    );
  }
  const grafana = header(secrets.grafanaSignatureHeader);
  if (grafana)
    return verify(
      'hmac-grafana',
      grafana,
      header(secrets.grafanaTimestampHeader),
      secrets.grafanaTimestampHeader,
      grafanaSignedText(rawBody),
    );
  return { ok: false, reason: 'missing credentials (Authorization: Bearer <token> or an HMAC signature header)' };
}
