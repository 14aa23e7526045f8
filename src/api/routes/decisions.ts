/**
 * POST /v1/workflows/:id/decisions: a person answers the question a procedure waits on, with their personal
 * token (scope `decide`), and the decision is recorded as theirs, authenticated, via the API.
 * POST /v1/stacks/:stack/lift: a person of the hold's audience lifts a stack's hold, the same way.
 */
import type { FastifyInstance } from 'fastify';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { readProgress } from '../../client/progress';
import { stackRefusal } from '../access';
import type { RouteDeps } from '../deps';
import { DECISION_ACTIONS, DecisionRefused, refusalFor, sendDecision, sendLift } from '../decisions';
import { mayAnswer, roleRequired } from '../../domain/audiences';
import type { OwnerState } from '../../domain/owner';
import { ownerWorkflowId, stackOfWorkflowId } from '../../domain/workflow-ids';
import { ownerStateQuery } from '../../workflows/definitions';
import { badRequest, CALL_DEADLINE_MS, unavailable } from './replies';

const WORKFLOW_ID = /^[A-Za-z0-9:_.-]{1,200}$/;

const liftBody = z.strictObject({ reason: z.string().trim().min(1).max(4000) });

const decisionBody = z.strictObject({
  action: z.enum(DECISION_ACTIONS),
  reason: z.string().max(4000).optional(),
  releaseId: z.string().max(200).optional(),
  /** The question answered (`pendingDecision.id`): a newer question is then never answered by mistake. */
  questionId: z.string().max(40).optional(),
});

export function registerDecisionRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.post<{ Params: { id: string } }>(
    '/workflows/:id/decisions',
    { config: { access: 'decide' } },
    async (req, reply) => {
      const { id } = req.params;
      if (!WORKFLOW_ID.test(id)) return reply.code(400).send({ error: 'invalid workflow ID' });
      const who = req.principal!;
      if (!who.person)
        return reply.code(403).send({ error: `token ${who.name} names no person: decisions need a personal token` });
      const stackDenied = stackRefusal(who, stackOfWorkflowId(id), `workflow ${id}`);
      if (stackDenied) return reply.code(403).send({ error: stackDenied });
      const body = decisionBody.safeParse(req.body ?? {});
      if (!body.success) return badRequest(reply, body.error);
      try {
        const progress = await deps.client.withDeadline(deps.now() + CALL_DEADLINE_MS, () =>
          readProgress(deps.client.workflow.getHandle(id)),
        );
        const question = progress?.pending;
        if (!question) return reply.code(409).send({ error: `${id} is waiting for no decision` });
        if (body.data.questionId && body.data.questionId !== question.id)
          return reply
            .code(409)
            .send({ error: `question ${body.data.questionId} is closed; ${id} now asks ${question.id}` });
        const refusal = refusalFor(deps.config.people, question, who.person);
        if (refusal) return reply.code(403).send({ error: refusal });
        const { questionId: _, ...answer } = body.data;
        const decision = await sendDecision(
          deps.client,
          deps.decisionKey,
          { workflowId: id, question, person: who.person, via: 'api', ...answer },
          deps.now(),
        );
        return { workflowId: id, questionId: question.id, decision };
      } catch (err) {
        if (err instanceof DecisionRefused) return reply.code(409).send({ error: err.message });
        if (err instanceof WorkflowNotFoundError) return reply.code(404).send({ error: `no workflow ${id}` });
        return unavailable(reply, req.log, err);
      }
    },
  );

  app.post<{ Params: { stack: string } }>(
    '/stacks/:stack/lift',
    { config: { access: 'decide' } },
    async (req, reply) => {
      const { stack } = req.params;
      const who = req.principal!;
      if (!who.person)
        return reply.code(403).send({ error: `token ${who.name} names no person: decisions need a personal token` });
      const stackDenied = stackRefusal(who, stack, `stack ${stack}`);
      if (stackDenied) return reply.code(403).send({ error: stackDenied });
      if (!Object.hasOwn(deps.config.stacks, stack)) return reply.code(404).send({ error: `no stack ${stack}` });
      const body = liftBody.safeParse(req.body ?? {});
      if (!body.success) return badRequest(reply, body.error);
      try {
        const owner: OwnerState = await deps.client.withDeadline(deps.now() + CALL_DEADLINE_MS, () =>
          deps.client.workflow.getHandle(ownerWorkflowId(stack)).query(ownerStateQuery),
        );
        const hold = owner.hold;
        if (!hold) return reply.code(409).send({ error: `stack ${stack} is not held` });
        if (
          roleRequired(deps.config.people, hold.audience) &&
          !mayAnswer(deps.config.people, hold.audience, who.person)
        )
          return reply.code(403).send({
            error: `${who.person} is not of the ${hold.audience}, who alone lift this hold. Nothing was lifted.`,
          });
        const lifted = await sendLift(
          deps.client,
          deps.decisionKey,
          { stack, hold, person: who.person, reason: body.data.reason },
          deps.now(),
        );
        return { stack, lifted };
      } catch (err) {
        if (err instanceof DecisionRefused) return reply.code(409).send({ error: err.message });
        if (err instanceof WorkflowNotFoundError) return reply.code(409).send({ error: `stack ${stack} is not held` });
        return unavailable(reply, req.log, err);
      }
    },
  );
}
