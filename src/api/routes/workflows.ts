/** GET /v1/workflows/:id: status, checklist and pending decision of a procedure. */
import type { FastifyInstance } from 'fastify';
import { WorkflowNotFoundError } from '@temporalio/client';
import { readProgress } from '../../client/progress';
import { stackOfWorkflowId } from '../../domain/workflow-ids';
import { stackRefusal } from '../access';
import type { RouteDeps } from '../deps';
import { CALL_DEADLINE_MS, unavailable } from './replies';

const WORKFLOW_ID = /^[A-Za-z0-9:_.-]{1,200}$/;

export function registerWorkflowRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get<{ Params: { id: string } }>('/workflows/:id', { config: { access: 'read' } }, async (req, reply) => {
    const { id } = req.params;
    if (!WORKFLOW_ID.test(id)) return reply.code(400).send({ error: 'invalid workflow ID' });
    // A token limited to stacks reads only workflows whose ID names one of them.
    const refused = stackRefusal(req.principal!, stackOfWorkflowId(id), `workflow ${id}`);
    if (refused) return reply.code(403).send({ error: refused });
    const handle = deps.client.workflow.getHandle(id);
    try {
      const [desc, progress] = await deps.client.withDeadline(deps.now() + CALL_DEADLINE_MS, () =>
        Promise.all([handle.describe(), readProgress(handle)]),
      );
      return {
        workflowId: id,
        type: desc.type,
        status: desc.status.name,
        startTime: desc.startTime,
        closeTime: desc.closeTime,
        step: progress?.step,
        /** How the procedure itself ended (completed, failed, aborted, ...): a workflow can complete while escalated. */
        outcome: progress?.status,
        checklist: progress?.checklist,
        pendingDecision: progress?.pending,
        decisions: progress?.decisions,
        fromRelease: progress?.fromRelease,
        toRelease: progress?.toRelease,
      };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return reply.code(404).send({ error: `no workflow ${id}` });
      return unavailable(reply, req.log, err);
    }
  });
}
