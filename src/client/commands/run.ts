/** Runs a command body with the shared output, error reporting and exit codes. */
import type { WorkflowHandle } from '@temporalio/client';
import os from 'node:os';
import type { ProcedureInput } from '../../domain/procedure';
import type { CommandContext } from '../context';
import { colour, EXIT, reportError } from '../output';
import { follow } from '../progress';
import { ProcedureName, startProcedure } from '../procedures';

export async function run<T>(ctx: CommandContext, body: (c: CommandContext) => Promise<T>, human: (r: T) => string): Promise<void> {
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

export const operatorName = (as?: string): string => as ?? process.env.USER ?? os.userInfo().username ?? 'operator';

/**
 * Starts a procedure and, unless `wait` is false, follows it to its result. `beforeFollow` runs first
 * (the interactive rollback's dialogue).
 */
export async function startAndFollow(
  c: CommandContext,
  procedure: ProcedureName,
  args: ProcedureInput,
  wait: boolean,
  beforeFollow?: (handle: WorkflowHandle) => Promise<void>,
): Promise<{ workflowId: string; result?: unknown }> {
  const handle = await startProcedure(await c.client(), procedure, args);
  c.out.info(`${colour.bold(procedure)} started: ${handle.workflowId}`);
  if (!wait) return { workflowId: handle.workflowId };
  await beforeFollow?.(handle);
  return { workflowId: handle.workflowId, result: await follow(c.out, handle) };
}
