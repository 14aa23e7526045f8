/** The HTTP API: authenticated alert webhooks and remote triggers, status, health and metrics. */
import Fastify, { FastifyInstance } from 'fastify';
import { ConfigError } from '../config/config-error';
import { STRONG_TOKEN } from '../config/api-tokens';
import { enforceAccess } from './access';
import { authenticate } from './auth';
import { TokenTable } from './tokens';
import type { ApiDeps } from './deps';
import path from 'node:path';
import { SignatureLedger } from './signature-ledger';
import { ApiMetrics } from './metrics';
import { registerContainerMetrics } from './container-metrics';
import { registerRollbackRoutes } from './routes/rollbacks';
import { registerWorkflowRoutes } from './routes/workflows';
import { registerAlertRoutes } from './routes/alerts';
import { registerCodecRoutes } from './routes/codec';
import { registerDecidePage } from './routes/decide';
import { MAX_PASS_CHARS } from '../codec/decision-passes';
import { registerDecisionRoutes } from './routes/decisions';

const INVALID_JSON = Symbol('invalid JSON');

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

/** A token anyone could guess, or a blank one, would open the API: refuse to start with it. */
export function assertStrongToken(token: string, source: string): void {
  if (!STRONG_TOKEN.test(token)) {
    throw new ConfigError(
      `the API token from ${source} is ${token.trim() ? 'too short or has spaces' : 'empty'}: use 32 or more visible characters (openssl rand -base64 32)`,
    );
  }
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  assertStrongToken(deps.secrets.bearerToken, 'the API configuration');
  const tokens = new TokenTable(
    deps.secrets.bearerToken,
    deps.tokens ?? [],
    Object.keys(deps.config.stacks),
    deps.config.people.map((p) => p.name),
  );
  const app = Fastify({
    bodyLimit: deps.bodyLimitBytes ?? 1 << 20,
    // A decision link's pass is one path parameter of a few hundred characters.
    routerOptions: { maxParamLength: MAX_PASS_CHARS },
    logger: {
      level: deps.logLevel ?? 'info',
      // A decision link's pass is a credential: its URL is logged without it.
      serializers: {
        req: (req: { method: string; url: string; hostname?: string; ip?: string }) => ({
          method: req.method,
          url: req.url.replace(/^\/decide\/[^/?#]+/, '/decide/<pass>'),
          hostname: req.hostname,
          remoteAddress: req.ip,
        }),
      },
      // Credentials never reach the logs.
      redact: [
        'req.headers.authorization',
        'req.headers["x-hub-signature-256"]',
        `req.headers["${deps.secrets.grafanaSignatureHeader.toLowerCase()}"]`,
      ],
    },
  });
  enforceAccess(app);
  const metrics = new ApiMetrics(deps.config.dataDir);
  if (deps.docker)
    registerContainerMetrics(metrics.registry, deps.docker, deps.config, (err) =>
      app.log.warn({ err }, 'container metrics unavailable'),
    );
  const now = deps.now ?? (() => Date.now());
  // A signature is good once, across restarts and API processes: a captured request cannot be replayed.
  const usedSignatures = new SignatureLedger(
    path.join(deps.config.dataDir, 'api-signatures'),
    deps.secrets.maxSkewSeconds * 1000,
  );

  // Keep the raw bytes: signatures are computed over them, not over re-serialized JSON. Bad JSON is
  // reported only after authentication, so an unauthenticated caller learns nothing but 401.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    req.rawBody = body as Buffer;
    if ((body as Buffer).length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse((body as Buffer).toString('utf8')));
    } catch {
      done(null, INVALID_JSON);
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.requests.inc({ route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 503;
    if (status === 503) app.log.error({ err: err.message }, 'request failed');
    const message = status === 413 ? 'body too large' : status === 503 ? 'temporarily unavailable; retry' : err.message;
    void reply.code(status).send({ error: message });
  });

  // After authentication and the scope check (preValidation), so a caller without access learns nothing more.
  app.addHook('preHandler', async (req, reply) => {
    if (req.body === INVALID_JSON) return reply.code(400).send({ error: 'body is not valid JSON' });
  });

  app.get('/healthz', { config: { access: 'public' } }, async () => ({ ok: true }));
  app.get('/metrics', { config: { access: 'public' } }, async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  // Everything under /v1 needs a credential.
  await app.register(
    async (v1) => {
      v1.addHook('preValidation', async (req, reply) => {
        const seconds = Math.floor(now() / 1000);
        const result = authenticate(req, req.rawBody ?? Buffer.alloc(0), deps.secrets, tokens, seconds);
        if (!result.ok) {
          metrics.authFailures.inc();
          return reply.code(401).send({ error: result.reason });
        }
        if (result.method !== 'bearer') {
          if (!usedSignatures.claim(result.signature, now())) {
            metrics.authFailures.inc();
            return reply.code(401).send({ error: 'replayed signature' });
          }
        }
        req.principal = result.principal;
      });
      const routeDeps = { ...deps, metrics, now };
      registerRollbackRoutes(v1, routeDeps);
      registerWorkflowRoutes(v1, routeDeps);
      registerAlertRoutes(v1, routeDeps);
      registerDecisionRoutes(v1, routeDeps);
    },
    { prefix: '/v1' },
  );

  // The decision page and its form; the pass in its URL is the credential.
  await app.register(async (decide) => {
    decide.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    registerDecidePage(decide, { ...deps, metrics, now });
  });

  await app.register(
    async (codec) => {
      registerCodecRoutes(codec, {
        codec: deps.codec,
        tokens,
        uiOrigins: deps.uiOrigins ?? ['http://127.0.0.1:8233', 'http://localhost:8233'],
      });
    },
    { prefix: '/codec' },
  );

  return app;
}
