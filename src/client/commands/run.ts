/** Runs a command body with the shared output, error reporting and exit codes. */
import { readEnv } from '../../config/env';
import { WorkflowHandle, WorkflowIdConflictPolicy } from '@temporalio/client';
import os from 'node:os';
import type { ProcedureInput } from '../../domain/procedure-types';
import type { CommandContext } from '../context';
import type { ProcedureRequest } from '../../domain/owner';
import { busyMessage, type OwnedProcedure } from '../../domain/ownership';
import { PROCEDURES, procedureStartMetadata, procedureWorkflowId } from '../../domain/workflow-ids';
import { ORCHESTRATION_TASK_QUEUE } from '../../domain/task-queues';
import { colour, EXIT, reportError, StackBusyError } from '../output';
import { follow, readProgress } from '../progress';
import { StartedProcedure, startProcedure, waitUntilStarted } from '../start-procedure';

export async function run<T>(
  ctx: CommandContext,
  body: (c: CommandContext) => Promise<T>,
  human: (r: T) => string,
): Promise<void> {
  try {
    const result = await body(ctx);
    ctx.out.result(result, () => human(result));
    process.exitCode = EXIT.ok;
  } catch (err) {
    process.exitCode = reportError(ctx.out, err);
  } finally {
    await ctx.close();
  }
}

export const operatorName = (as?: string): string => as ?? readEnv().USER ?? os.userInfo().username ?? 'operator';

/** What every CLI request carries: the configured stack, why, and who asks (`--as`, else the user). */
export const cliRequest = (c: CommandContext, stackName: string, o: { reason: string; as?: string }) => ({
  stack: c.stack(stackName),
  trigger: 'cli' as const,
  reason: o.reason,
  requestedBy: operatorName(o.as),
});

/** How a command that starts a procedure waits: follow it or not, and queue behind a running one or not. */
export interface StartOptions {
  wait: boolean;
  queue?: boolean;
  /** Run even right after another change completed (the owner refuses a quick rollback then). */
  force?: boolean;
}

/**
 * Asks the stack's owner to run a procedure and, unless `wait` is false, follows it to its result.
 * A busy stack is an error (exit 4) naming who holds it; `queue` waits for its turn instead. So is a quick
 * rollback right after another change completed, unless `force`.
 * `beforeFollow` runs first (the interactive rollback's dialogue).
 */
export async function startAndFollow(
  c: CommandContext,
  procedure: OwnedProcedure,
  args: ProcedureRequest['args'],
  opts: StartOptions,
  beforeFollow?: (handle: WorkflowHandle) => Promise<void>,
): Promise<{ workflowId: string; outcome: string; result?: unknown }> {
  const { reply, handle } = await requestProcedure(c, procedure, args, opts);
  if (!opts.wait) return { workflowId: reply.workflowId, outcome: reply.outcome };
  await beforeFollow?.(handle);
  const result = await follow<{ postActionsWorkflowId?: string }>(c.out, handle);
  if (result?.postActionsWorkflowId) {
    // The runbook's post-rollback monitoring: shown as it runs; Ctrl-C stops watching, not the monitoring.
    c.out.info(`post-rollback actions: ${result.postActionsWorkflowId} (Ctrl-C stops watching; they run on)`);
    const post = await follow<{ reportPath?: string }>(c.out, handle.client.getHandle(result.postActionsWorkflowId), {
      window: true,
    });
    if (post?.reportPath) c.out.info(`incident report: ${post.reportPath}`);
  }
  return { workflowId: reply.workflowId, outcome: reply.outcome, result };
}

/** Asks the owner; a busy stack or a refused repeat throws (exit 4); a queued or preempting request is waited for until it starts, when `wait`. */
export async function requestProcedure(
  c: CommandContext,
  procedure: OwnedProcedure,
  args: ProcedureRequest['args'],
  opts: StartOptions,
): Promise<StartedProcedure> {
  const started = await startProcedure(await c.client(), procedure, args, {
    whenBusy: opts.queue ? 'queue' : 'refuse',
    force: opts.force,
    approvalTimeoutSeconds: c.config.alerts.approvalTimeoutSeconds,
  });
  const { reply, handle } = started;
  if (reply.outcome === 'busy') {
    const step = (await readProgress(handle))?.step;
    throw new StackBusyError(busyMessage(args.stack.name, reply.running!, step));
  }
  if (reply.outcome === 'recent' || reply.outcome === 'held') throw new StackBusyError(reply.message);
  c.out.info(
    `${colour.bold(procedure)} ${reply.outcome}: ${reply.workflowId}${reply.preempted ? ` (preempts ${reply.preempted})` : ''}`,
  );
  if (opts.wait && (reply.outcome === 'queued' || reply.preempted)) {
    c.out.info(`waiting for ${reply.running?.workflowId ?? reply.preempted} to end first...`);
    await waitUntilStarted(handle);
  }
  return started;
}

/** Starts a procedure that changes no container (the escalation path) directly, and follows it. */
export async function startStandalone(
  c: CommandContext,
  procedure: 'escalation',
  args: ProcedureInput & Record<string, unknown>,
  wait: boolean,
) {
  const handle = await (
    await c.client()
  ).workflow.start(PROCEDURES[procedure], {
    taskQueue: readEnv().LIFELINE_TASK_QUEUE ?? ORCHESTRATION_TASK_QUEUE,
    workflowId: procedureWorkflowId(procedure, args.stack.name, new Date()),
    // The stack by name only: the worker reads its settings (the escalation contacts) from its own config.
    args: [{ ...args, stack: { name: args.stack.name } }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    ...procedureStartMetadata(procedure, args),
  });
  c.out.info(`${colour.bold(procedure)} started: ${handle.workflowId}`);
  if (!wait) return { workflowId: handle.workflowId };
  return { workflowId: handle.workflowId, result: await follow(c.out, handle) };
}
