/** Runs a command body with the shared output, error reporting and exit codes. */
import os from 'node:os';
import type { CommandContext } from '../context';
import { EXIT, reportError } from '../output';

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
