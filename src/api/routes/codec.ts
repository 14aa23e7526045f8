/**
 * The codec server (Temporal's remote codec protocol): POST /codec/encode and /codec/decode turn payloads
 * into and out of ciphertext, so the Web UI can show decoded inputs to whoever holds a token with the `codec`
 * scope. The UI calls it from the browser: CORS for the UI's origin, and a session cookie set by /codec/login
 * (the UI cannot send a bearer token; it sends same-site cookies when "include cross-origin credentials" is on).
 */
import type { PayloadCodec } from '@temporalio/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { holds, lacksScope } from '../access';
import type { TokenTable } from '../tokens';
import { badRequest } from './replies';

export interface CodecRouteDeps {
  codec: PayloadCodec;
  tokens: TokenTable;
  /** Web UI origins allowed to call from the browser. */
  uiOrigins: string[];
}

const COOKIE = 'lifeline_codec';
/** A login form's one field: a string of a token's size, checked before anything reads it. */
const loginForm = z.strictObject({ token: z.string().min(1).max(1024) });
const SESSION_HOURS = 8;
const jsonPayloads = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string().max(1 << 20)).default({}),
        data: z
          .string()
          .max(16 << 20)
          .default(''),
      }),
    )
    .max(1000),
});

export function registerCodecRoutes(app: FastifyInstance, deps: CodecRouteDeps): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (origin && deps.uiOrigins.includes(origin)) {
      void reply
        .header('Access-Control-Allow-Origin', origin)
        .header('Access-Control-Allow-Credentials', 'true')
        .header('Vary', 'Origin');
    }
  });

  // A browser's CORS preflight carries no credentials.
  app.options('/*', { config: { access: 'public' } }, async (_req, reply) =>
    reply
      .header('Access-Control-Allow-Methods', 'POST, OPTIONS')
      .header('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization')
      .code(204)
      .send(),
  );

  const principal = (req: FastifyRequest) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (m) return deps.tokens.find(m[1].trim());
    const cookie = (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim().split('='))
      .find(([k]) => k === COOKIE)?.[1];
    return cookie === undefined ? undefined : deps.tokens.findSession(cookie);
  };
  // Who is asking, for the scope check that follows; the login form checks the token it is sent itself.
  app.addHook('preValidation', async (req, reply) => {
    if (req.routeOptions.config.access === 'public') return;
    req.principal = principal(req);
    if (!req.principal)
      return reply.code(401).send({
        error: 'codec needs a token with the codec scope (Authorization: Bearer, or log in at /codec/login)',
      });
  });

  const convert = (direction: 'encode' | 'decode') => async (req: FastifyRequest, reply: FastifyReply) => {
    const parsed = jsonPayloads.safeParse(req.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const payloads = parsed.data.payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(p.data, 'base64'),
    }));
    try {
      const out = direction === 'encode' ? await deps.codec.encode(payloads) : await deps.codec.decode(payloads);
      return reply.send({
        payloads: out.map((p) => ({
          metadata: Object.fromEntries(
            Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
          ),
          data: Buffer.from(p.data ?? []).toString('base64'),
        })),
      });
    } catch (err) {
      return reply.code(400).send({ error: `cannot ${direction}: ${(err as Error).message}` });
    }
  };
  app.post('/encode', { config: { access: 'seal' } }, convert('encode'));
  app.post('/decode', { config: { access: 'codec' } }, convert('decode'));

  app.get('/login', { config: { access: 'public' } }, async (_req, reply) =>
    reply
      .type('text/html')
      .send(
        '<!doctype html><title>Lifeline codec login</title><form method="post" action="/codec/login">' +
          '<label>API token (codec scope) <input name="token" type="password" autofocus></label> <button>Log in</button></form>' +
          '<p>Then, in the Web UI, set the codec endpoint to this server\'s /codec and turn on "include cross-origin credentials".</p>',
      ),
  );
  // Public, as a login form is: it checks the token it is sent itself. The session cookie opens /codec only.
  app.post('/login', { bodyLimit: 4096, config: { access: 'public' } }, async (req, reply) => {
    const form = loginForm.safeParse(req.body);
    if (!form.success) return badRequest(reply, form.error);
    const who = deps.tokens.find(form.data.token);
    if (!who) return reply.code(401).type('text/html').send('<p>wrong token</p>');
    // Token names are plain words (config/api-tokens.ts): safe in HTML as they are.
    if (!holds(who, 'codec'))
      return reply
        .code(403)
        .type('text/html')
        .send(`<p>${lacksScope(who, 'codec', 'POST', '/codec/login')}</p>`);
    return reply
      .header(
        'Set-Cookie',
        `${COOKIE}=${deps.tokens.sessionOf(who)}; HttpOnly; SameSite=Strict; Path=/codec; Max-Age=${SESSION_HOURS * 3600}`,
      )
      .type('text/html')
      .send('<p>Logged in: the Web UI can now decode Lifeline payloads in this browser.</p>');
  });
}
