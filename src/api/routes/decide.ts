/**
 * GET and POST /decide/<pass>: the decision page a person's one-time link opens. The pass is the credential
 * (sealed with the decision key, naming the person, the question and its expiry), so these routes are public;
 * the page never caches, never leaks the link as a referrer, and runs no script.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { InvalidPass, openPass, type DecisionPass } from '../../codec/decision-passes';
import { readProgress } from '../../client/progress';
import { createDockerActivities } from '../../activities/docker';
import { hasStack, resolveStack } from '../../domain/config';
import type { ProcedureProgress } from '../../domain/procedure-types';
import type { RouteDeps } from '../deps';
import { ContainerLine, messagePage, questionPage, recordedPage } from '../decision-page';
import { DECISION_ACTIONS, DecisionRefused, refusalFor, sendDecision } from '../decisions';
import { CALL_DEADLINE_MS } from './replies';

const answerForm = z.object({
  action: z.enum(DECISION_ACTIONS),
  reason: z.string().max(4000).optional(),
  releaseId: z.string().max(200).optional(),
});

const HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

const html = (reply: FastifyReply, status: number, body: string) =>
  reply.code(status).headers(HEADERS).type('text/html; charset=utf-8').send(body);

export function registerDecidePage(app: FastifyInstance, deps: RouteDeps): void {
  const docker = deps.docker && createDockerActivities(deps.docker);

  async function containersOf(stackName: string): Promise<ContainerLine[] | undefined> {
    if (!deps.docker || !docker || !hasStack(deps.config, stackName)) return undefined;
    const lines: ContainerLine[] = [];
    for (const { service, container } of await docker.serviceContainers(resolveStack(deps.config, stackName))) {
      const info = container
        ? await deps.docker
            .getContainer(container)
            .inspect()
            .catch(() => undefined)
        : undefined;
      if (info)
        lines.push({
          name: info.Name.replace(/^\//, ''),
          image: info.Config.Image,
          state: info.State.Status,
          status: service,
        });
    }
    return lines;
  }

  /** The pass and the question it still answers, or the page that says why not. */
  async function open(
    token: string,
    reply: FastifyReply,
  ): Promise<{ pass: DecisionPass; progress: ProcedureProgress } | undefined> {
    let pass: DecisionPass;
    try {
      pass = openPass(deps.decisionKey, 'link', token, deps.now());
    } catch (err) {
      const invalid = err instanceof InvalidPass ? err : new InvalidPass('this link is not a Lifeline decision link');
      const title = invalid.expired ? 'Link expired' : 'Link not valid';
      await html(
        reply,
        invalid.expired ? 410 : 404,
        messagePage(title, `${invalid.message}. Nothing was recorded.`, 'refused'),
      );
      return undefined;
    }
    const progress = await deps.client.withDeadline(deps.now() + CALL_DEADLINE_MS, () =>
      readProgress(deps.client.workflow.getHandle(pass.workflowId)),
    );
    if (!progress?.pending || progress.pending.id !== pass.questionId) {
      const last = progress?.decisions.at(-1);
      const answered = last
        ? ` The last decision: ${last.kind}${last.approved === false ? ' (denied)' : ''} by ${last.by} at ${last.at}.`
        : '';
      await html(
        reply,
        410,
        messagePage('Question closed', `This question is no longer open.${answered} Nothing was recorded.`, 'refused'),
      );
      return undefined;
    }
    return { pass, progress };
  }

  app.get<{ Params: { pass: string } }>('/decide/:pass', { config: { access: 'public' } }, async (req, reply) => {
    const opened = await open(req.params.pass, reply);
    if (!opened) return reply;
    const { pass, progress } = opened;
    const question = progress.pending!;
    const refusal = refusalFor(deps.config.people, question, pass.person);
    const page = questionPage(progress, question, pass.person, await containersOf(progress.stack), refusal);
    return html(reply, refusal ? 403 : 200, page);
  });

  app.post<{ Params: { pass: string } }>(
    '/decide/:pass',
    { config: { access: 'public' }, bodyLimit: 16_384 },
    async (req, reply) => {
      const form = answerForm.safeParse(req.body ?? {});
      if (!form.success)
        return html(reply, 400, messagePage('Not recorded', 'Choose one of the buttons to answer.', 'refused'));
      const opened = await open(req.params.pass, reply);
      if (!opened) return reply;
      const { pass, progress } = opened;
      const question = progress.pending!;
      const refusal = refusalFor(deps.config.people, question, pass.person);
      if (refusal) return html(reply, 403, messagePage('Not recorded', refusal, 'refused'));
      try {
        const decision = await sendDecision(
          deps.client,
          deps.decisionKey,
          { workflowId: pass.workflowId, question, person: pass.person, via: 'link', nonce: pass.nonce, ...form.data },
          deps.now(),
        );
        return html(reply, 200, recordedPage(decision, question));
      } catch (err) {
        if (!(err instanceof DecisionRefused)) throw err;
        return html(
          reply,
          409,
          messagePage('Not recorded', `Refused: ${err.message}. Nothing was recorded.`, 'refused'),
        );
      }
    },
  );
}
