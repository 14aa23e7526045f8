/** POST /v1/rollbacks: the runbook's "trigger rollback from anywhere" (method 4). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ReleaseStore } from '../../activities/release-store';
import { resolveStack } from '../../domain/config';
import { imageTagSchema, releaseIdSchema, stackNameSchema } from '../../domain/names';
import { ProcedureName, startProcedure } from '../../client/procedures';
import type { RouteDeps } from '../server';
import { badRequest, CALL_DEADLINE_MS, unavailable } from './replies';

const rollbackRequest = z
  .object({
    stack: stackNameSchema,
    releaseId: releaseIdSchema.optional(),
    imageTag: imageTagSchema.optional(),
    environment: z.string().regex(/^[a-z0-9-]{1,32}$/).default('production'),
    reason: z.string().min(1).max(2000).default('remote trigger'),
    requestedBy: z.string().min(1).max(200).default('api'),
  })
  .strict()
  .refine((r) => !(r.releaseId && r.imageTag), { message: 'give releaseId or imageTag, not both', path: ['imageTag'] });

export function registerRollbackRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.post('/rollbacks', async (req, reply) => {
    const parsed = rollbackRequest.safeParse(req.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const r = parsed.data;
    if (!deps.config.stacks[r.stack]) return reply.code(404).send({ error: `unknown stack "${r.stack}"` });
    const stack = resolveStack(deps.config, r.stack);
    if (r.releaseId && !(await new ReleaseStore(stack.dataDir).find(r.stack, r.releaseId))) {
      return reply.code(404).send({ error: `unknown release ${r.releaseId} for stack ${r.stack}` });
    }
    const base = { stack, trigger: 'api' as const, reason: `${r.reason} (environment ${r.environment})`, requestedBy: r.requestedBy };
    const [procedure, args]: [ProcedureName, typeof base & { releaseId?: string; imageTag?: string }] = r.releaseId
      ? ['specific-version-rollback', { ...base, releaseId: r.releaseId }]
      : r.imageTag
        ? ['container-rollback', { ...base, imageTag: r.imageTag }]
        : ['quick-rollback', base];
    try {
      const handle = await deps.client.withDeadline(deps.now() + CALL_DEADLINE_MS, () => startProcedure(deps.client, procedure, args, { taskQueue: deps.taskQueue }));
      deps.metrics.workflowsStarted.inc({ procedure });
      return reply.code(202).send({ workflowId: handle.workflowId, procedure });
    } catch (err) {
      return unavailable(reply, req.log, err);
    }
  });
}
