import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { ZodError } from 'zod';

/** A Temporal call from a request gives up after this long, so the sender gets its 503 in time to retry. */
export const CALL_DEADLINE_MS = 5000;

/** 400 naming every bad field. */
export function badRequest(reply: FastifyReply, error: ZodError) {
  const fields = error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  return reply
    .code(400)
    .send({ error: `invalid request: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, fields });
}

/** 503 so that senders such as Alertmanager retry; the cause goes to the log, not to the caller. */
export function unavailable(reply: FastifyReply, log: FastifyBaseLogger, err: unknown) {
  log.error({ err: (err as Error)?.message }, 'Temporal unavailable');
  return reply.code(503).send({ error: 'temporarily unavailable; retry' });
}
