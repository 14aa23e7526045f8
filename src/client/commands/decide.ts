/** People's answers to a waiting procedure: ack, approve, deny, choose, confirm, abort. */
import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Decision } from '../../domain/procedure-types';
import {
  abortUpdate,
  acknowledgeUpdate,
  approveUpdate,
  chooseReleaseUpdate,
  confirmStepUpdate,
  denyUpdate,
} from '../../workflows/definitions';
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

async function send(
  c: CommandContext,
  workflowId: string,
  update: (typeof UPDATES)[keyof typeof UPDATES][0] | typeof chooseReleaseUpdate,
  input: { by: string; reason?: string; releaseId?: string },
): Promise<Decision> {
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
      .description(description)
      .option('--as <name>', 'who decides (default: $USER)')
      .option('--reason <text>', 'why (required for approve, deny and abort)')
      .action((workflowId: string, o: { as?: string; reason?: string }) =>
        run(ctx(), (c) => send(c, workflowId, update, { by: operatorName(o.as), reason: o.reason }), renderDecision),
      );
  }
  program
    .command('choose <workflow-id> <release-id>')
    .description('choose the release a waiting procedure rolls back to')
    .option('--as <name>', 'who decides (default: $USER)')
    .option('--reason <text>', 'why')
    .action((workflowId: string, releaseId: string, o: { as?: string; reason?: string }) =>
      run(
        ctx(),
        (c) => send(c, workflowId, chooseReleaseUpdate, { by: operatorName(o.as), reason: o.reason, releaseId }),
        renderDecision,
      ),
    );
}

const renderDecision = (d: Decision) =>
  `recorded: ${d.kind}${d.approved === false ? ' (denied)' : ''} by ${d.by} at ${d.at}${d.reason ? ` — ${d.reason}` : ''}`;
