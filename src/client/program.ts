/** The `lifeline` command's parser and runner, apart from the process entry point so tests can run it in-process. */
import { Command, CommanderError } from 'commander';
import { CommandContext, GlobalOptions } from './context';
import { EXIT } from './output';
import { registerDecide } from './commands/decide';
import { registerDemo } from './commands/demo';
import { registerEmergency } from './commands/emergency';
import { registerDoctor } from './commands/doctor';
import { registerHistory } from './commands/history';
import { registerPlan } from './commands/plan';
import { registerReleases } from './commands/releases';
import { registerRollback } from './commands/rollback';
import { registerStatus } from './commands/status';

function buildProgram(): Command {
  const program = new Command('lifeline')
    .description('Deployment rollback runbook as durable Temporal workflows')
    .option('-c, --config <file>', 'config file (default: $LIFELINE_CONFIG or ./lifeline.yaml)')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();
  const ctx = () => new CommandContext(program.opts<GlobalOptions>());
  registerRollback(program, ctx);
  registerPlan(program, ctx);
  registerReleases(program, ctx);
  registerStatus(program, ctx);
  registerDecide(program, ctx);
  registerEmergency(program, ctx);
  registerDemo(program, ctx);
  registerHistory(program, ctx);
  registerDoctor(program, ctx);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Runs one command line (without node and the script); sets `process.exitCode` as the command decides. */
export async function runCli(args: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    throw err;
  }
}
