/**
 * POST /v1/rollbacks: the runbook's "trigger rollback from anywhere" (method 4), through the stack's owner.
 * 202 started or queued (or joined: a retry with the same Idempotency-Key); 409 when another procedure
 * holds the stack and `whenBusy` is not "queue", or when a quick rollback would repeat a change that completed
 * moments ago and `force` is not true.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ReleaseStore } from '../../store/release-store';
import { hasStack, resolveStack } from '../../domain/config';
import { environmentSchema, imageTagSchema, releaseIdSchema, stackNameSchema } from '../../domain/names';
import { startProcedure } from '../../client/start-procedure';
import type { OwnedProcedure } from '../../domain/ownership';
import { stackRefusal } from '../access';
import type { RouteDeps } from '../deps';
import { badRequest, CALL_DEADLINE_MS, unavailable } from './replies';

const rollbackRequest = z
  .object({
    stack: stackNameSchema,
    releaseId: releaseIdSchema.optional(),
    imageTag: imageTagSchema.optional(),
    /** When given, it must be the environment the stack declares (GitHub Actions' `environment` input). */
    environment: environmentSchema.optional(),
    reason: z.string().min(1).max(2000).default('remote trigger'),
    /** Recorded with the token's name, which is what a body cannot choose. */
    requestedBy: z.string().min(1).max(200).optional(),
    whenBusy: z.enum(['refuse', 'queue']).default('refuse'),
    /** A quick rollback moments after another change completed is refused (409) unless forced. */
    force: z.boolean().default(false),
  })
  .strict()
  .refine((r) => !(r.releaseId && r.imageTag), { message: 'give releaseId or imageTag, not both', path: ['imageTag'] });

export function registerRollbackRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.post('/rollbacks', { config: { access: 'operate' } }, async (req, reply) => {
    const parsed = rollbackRequest.safeParse(req.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const r = parsed.data;
    const who = req.principal!;
    const refused = stackRefusal(who, r.stack, `stack ${r.stack}`);
    if (refused) return reply.code(403).send({ error: refused });
    if (!hasStack(deps.config, r.stack)) return reply.code(404).send({ error: `unknown stack "${r.stack}"` });
    const stack = resolveStack(deps.config, r.stack);
    if (r.environment !== undefined && r.environment !== stack.environment) {
      return reply.code(422).send({
        error: `stack ${r.stack} serves environment "${stack.environment}", not "${r.environment}"; nothing was started`,
      });
    }
    if (r.releaseId && !(await new ReleaseStore(stack.dataDir).find(r.stack, r.releaseId))) {
      return reply.code(404).send({ error: `unknown release ${r.releaseId} for stack ${r.stack}` });
    }
    const requestedBy = r.requestedBy ? `${r.requestedBy} (token ${who.name})` : who.name;
    const base = { stack, trigger: 'api' as const, reason: r.reason, requestedBy };
    const [procedure, args]: [OwnedProcedure, typeof base & { releaseId?: string; imageTag?: string }] = r.releaseId
      ? ['specific-version-rollback', { ...base, releaseId: r.releaseId }]
      : r.imageTag
        ? ['container-rollback', { ...base, imageTag: r.imageTag }]
        : ['quick-rollback', base];
    const key = req.headers['idempotency-key'];
    if (key !== undefined && (typeof key !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(key))) {
      return reply.code(400).send({
        error: 'invalid request: Idempotency-Key: 1 to 200 printable characters',
        fields: [{ field: 'Idempotency-Key', message: '1 to 200 printable characters' }],
      });
    }
    try {
      const { reply: owner } = await deps.client.withDeadline(deps.now() + CALL_DEADLINE_MS, () =>
        startProcedure(deps.client, procedure, args, {
          taskQueue: deps.taskQueue,
          whenBusy: r.whenBusy,
          force: r.force,
          // Keyed per token: a token's retry never joins a procedure another token asked for.
          requestKey: key ? `api:${who.name}:${key}` : undefined,
          approvalTimeoutSeconds: deps.config.alerts.approvalTimeoutSeconds,
        }),
      );
      if (owner.outcome === 'busy') {
        return reply.code(409).send({ error: owner.message, workflowId: owner.workflowId, running: owner.running });
      }
      if (owner.outcome === 'recent') {
        return reply.code(409).send({ error: owner.message, workflowId: owner.workflowId, recent: owner.recent });
      }
      if (owner.outcome === 'held') {
        return reply.code(423).send({ error: owner.message, workflowId: owner.workflowId, hold: owner.hold });
      }
      if (owner.outcome === 'started') deps.metrics.workflowsStarted.inc({ procedure });
      return reply
        .code(202)
        .send({ workflowId: owner.workflowId, procedure, outcome: owner.outcome, preempted: owner.preempted });
    } catch (err) {
      return unavailable(reply, req.log, err);
    }
  });
}
