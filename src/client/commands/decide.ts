/** People's answers to a waiting procedure: ack, approve, deny, choose, confirm, abort. */
import type { Command } from 'commander';
import { type UpdateDefinition, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Decision, DecisionInput } from '../../domain/procedure-types';
import type { DecisionAction } from '../../api/decisions';
import { decideThroughApi, liftThroughApi, personalApi } from '../api-decisions';
import {
  abortUpdate,
  acknowledgeUpdate,
  approveUpdate,
  chooseReleaseUpdate,
  confirmStepUpdate,
  denyUpdate,
  liftHoldUpdate,
} from '../../workflows/definitions';
import type { LiftedHold } from '../../domain/owner';
import { ownerWorkflowId } from '../../domain/workflow-ids';
import type { CommandContext } from '../context';
import { UsageError } from '../output';
import { operatorName, run } from './run';

const UPDATES = {
  ack: [acknowledgeUpdate, 'acknowledge an escalation'],
  approve: [approveUpdate, 'approve the pending decision'],
  deny: [denyUpdate, 'deny the pending decision'],
  confirm: [confirmStepUpdate, 'confirm that a manual step is done'],
  abort: [abortUpdate, 'abort the procedure'],
} as const;

/** The answers a personal token sends through the API (an abort goes to Temporal as before; a lift has its own route). */
const THROUGH_API: Partial<Record<string, DecisionAction>> = {
  ack: 'ack',
  approve: 'approve',
  deny: 'deny',
  confirm: 'confirm',
  choose: 'choose',
};

const VIA =
  " With LIFELINE_API_URL and LIFELINE_PERSONAL_TOKEN set, it goes through the API and is recorded as the token's person (--as is then not used).";

/** Through the API with the operator's personal token when they have one; else straight to Temporal. */
async function answer(
  c: CommandContext,
  command: string,
  workflowId: string,
  update: UpdateDefinition<Decision, [DecisionInput]>,
  input: DecisionInput,
): Promise<Decision> {
  const api = personalApi();
  const action = THROUGH_API[command];
  if (api && action)
    return decideThroughApi(api, workflowId, { action, reason: input.reason, releaseId: input.releaseId });
  return send(c, workflowId, update, input);
}

async function send<R, A>(
  c: CommandContext,
  workflowId: string,
  update: UpdateDefinition<R, [A]>,
  input: A,
): Promise<R> {
  // The owner asks its own questions (a medium alert's "roll back?") and holds the stack: only those are answered there.
  const ownerAnswers = [liftHoldUpdate.name, approveUpdate.name, denyUpdate.name];
  if (workflowId.startsWith(ownerWorkflowId('')) && !ownerAnswers.includes(update.name))
    throw new UsageError(
      `${workflowId} is the stack's owner, not a procedure: answer the procedure it runs (lifeline status ${workflowId.slice(ownerWorkflowId('').length)})`,
    );
  const handle = (await c.client()).workflow.getHandle(workflowId);
  try {
    return await handle.executeUpdate(update, { args: [input] });
  } catch (err) {
    // A validator refused the answer: the operator's input is wrong, and nothing was recorded.
    if (err instanceof WorkflowUpdateFailedError)
      throw new UsageError(`refused: ${(err.cause as Error)?.message ?? err.message}`);
    throw err;
  }
}

export function registerDecide(program: Command, ctx: () => CommandContext): void {
  for (const [name, [update, description]] of Object.entries(UPDATES)) {
    program
      .command(`${name} <workflow-id>`)
      .description(`${description}.${name in THROUGH_API ? VIA : ''}`)
      .option('--as <name>', 'who decides (default: $USER)')
      .option('--reason <text>', 'why (required for approve, deny and abort)')
      .action((workflowId: string, o: { as?: string; reason?: string }) =>
        run(
          ctx(),
          (c) => answer(c, name, workflowId, update, { by: operatorName(o.as), reason: o.reason }),
          renderDecision,
        ),
      );
  }
  program
    .command('choose <workflow-id> <release-id>')
    .description(`choose the release a waiting procedure rolls back to.${VIA}`)
    .option('--as <name>', 'who decides (default: $USER)')
    .option('--reason <text>', 'why')
    .action((workflowId: string, releaseId: string, o: { as?: string; reason?: string }) =>
      run(
        ctx(),
        (c) =>
          answer(c, 'choose', workflowId, chooseReleaseUpdate, { by: operatorName(o.as), reason: o.reason, releaseId }),
        renderDecision,
      ),
    );
  program
    .command('lift <stack>')
    .description(`lift a stack's hold (a contained breach, stopped services): only the hold's audience may.${VIA}`)
    .requiredOption('--audience <group>', 'the group you decide for; must be the one the hold names')
    .requiredOption('--reason <text>', 'why it is safe now (recorded in the incident report)')
    .option('--as <name>', 'who decides (default: $USER)')
    .action((stackName: string, o: { audience: string; reason: string; as?: string }) =>
      run(
        ctx(),
        (c) => {
          const api = personalApi();
          const stack = c.stack(stackName).name;
          if (api) return liftThroughApi(api, stack, o.reason);
          return send(c, ownerWorkflowId(stack), liftHoldUpdate, {
            by: operatorName(o.as),
            audience: o.audience,
            reason: o.reason,
          });
        },
        renderLifted,
      ),
    );
}

const renderLifted = (l: LiftedHold) =>
  `hold of ${l.hold.workflowId} lifted by ${l.by} for the ${l.audience} at ${l.at}` +
  `${l.authenticated ? ` via ${l.channel}` : ' (unauthenticated)'}: ${l.reason}. Nothing was started.`;

const renderDecision = (d: Decision) =>
  `recorded: ${d.kind}${d.approved === false ? ' (denied)' : ''} by ${d.by} at ${d.at}` +
  `${d.authenticated ? ` via ${d.channel}` : ' (unauthenticated)'}${d.reason ? ` — ${d.reason}` : ''}`;
