/** `lifeline rollback` (methods 1, 2, 3, 5 and 6) and `lifeline deploy` (the guarded deploy with automatic rollback). */
import type { WorkflowHandle } from '@temporalio/client';
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { assertImageTag } from '../../domain/names';
import { PLAN_PROCEDURE, PlanMethod } from '../../domain/rollback-plan';
import type { ProcedureInput } from '../../domain/procedure-types';
import { ReleaseStore } from '../../store/release-store';
import { abortUpdate, chooseReleaseUpdate } from '../../workflows/definitions';
import type { CommandContext } from '../context';
import { UsageError, colour } from '../output';
import { readProgress } from '../progress';
import { renderResult } from '../render';
import { MethodOptions, planMethodOf, printPlan } from './plan';
import { cliRequest, run, startAndFollow } from './run';

interface RollbackOptions extends MethodOptions {
  plan?: boolean;
  reason: string;
  as?: string;
  wait: boolean;
  queue?: boolean;
  force?: boolean;
}

export function registerRollback(program: Command, ctx: () => CommandContext): void {
  program
    .command('rollback <stack>')
    .description('roll a stack back; with no method on a TTY, choose a release interactively')
    .option('--quick', 'method 1: back to the newest good release')
    .option('--release <id>', 'method 3: back to a specific release (YYYYMMDD-HHMMSS)')
    .option('--image-tag <tag>', 'method 5: recreate the services with this image tag, all else kept')
    .option('--blue-green', 'method 6: switch traffic back to blue')
    .option('--reason <text>', 'why (goes into the incident report)', 'manual rollback')
    .option('--as <name>', 'who is rolling back (default: $USER)')
    .option('--no-wait', 'start and print the workflow ID without following it')
    .option('--queue', 'when another procedure holds the stack, run after it instead of refusing')
    .option('--force', 'roll back even if another rollback completed moments ago (--quick then goes further back)')
    .addHelpText(
      'after',
      '\nExamples:\n  lifeline rollback spacetime --quick\n  lifeline rollback spacetime --release 20251202-143022\n  lifeline rollback spacetime --image-tag v2.4.9',
    )
    .option('--plan', 'show what it would do, change nothing (as lifeline plan)')
    .action((stackName: string, o: RollbackOptions) =>
      o.plan
        ? printPlan(ctx(), stackName, () => requiredMethod(o), o)
        : run(
            ctx(),
            async (c) => {
              const method = planMethodOf(o);
              const base: ProcedureInput = cliRequest(c, stackName, o);
              if (!method) {
                if (!process.stdin.isTTY || c.out.json) {
                  throw new UsageError(
                    'interactive rollback needs a terminal; use --quick, --release <id>, --image-tag <tag> or --blue-green',
                  );
                }
                return startAndFollow(c, 'interactive-rollback', base, o, (h: WorkflowHandle) =>
                  chooseInteractively(c, h, base.requestedBy),
                );
              }
              const args =
                method.method === 'release'
                  ? { ...base, releaseId: method.releaseId }
                  : method.method === 'image-tag'
                    ? { ...base, imageTag: method.imageTag }
                    : base;
              return startAndFollow(c, PLAN_PROCEDURE[method.method], args, o);
            },
            renderResult,
          ),
    );

  program
    .command('deploy <stack>')
    .description('guarded deploy: roll out an image tag, and roll back automatically if it fails')
    .requiredOption('--image-tag <tag>', 'the image tag to deploy')
    .option('--reason <text>', 'why', 'deploy')
    .option('--as <name>', 'who deploys (default: $USER)')
    .option('--no-wait', 'start and print the workflow ID without following it')
    .option('--queue', 'when another procedure holds the stack, run after it instead of refusing')
    .option('--plan', 'show what it would do, change nothing (as lifeline plan --deploy)')
    .action(
      (
        stackName: string,
        o: { imageTag: string; reason: string; as?: string; wait: boolean; queue?: boolean; plan?: boolean },
      ) =>
        o.plan
          ? printPlan(ctx(), stackName, () => ({ method: 'deploy', imageTag: assertImageTag(o.imageTag) }), o)
          : run(
              ctx(),
              async (c) => {
                const args = { ...cliRequest(c, stackName, o), imageTag: assertImageTag(o.imageTag) };
                return startAndFollow(c, 'automatic-rollback', args, o);
              },
              renderResult,
            ),
    );
}

/** The method `--plan` plans: an interactive choice cannot be planned. */
function requiredMethod(o: MethodOptions): PlanMethod {
  const method = planMethodOf(o);
  if (!method)
    throw new UsageError('--plan needs a method: --quick, --release <id>, --image-tag <tag> or --blue-green');
  return method;
}

/** Method 2's dialogue: a numbered list, a number, then "yes". 'q' aborts the procedure. */
async function chooseInteractively(c: CommandContext, handle: WorkflowHandle, by: string): Promise<void> {
  let options: string[] | undefined;
  for (let i = 0; i < 100 && !options; i++) {
    const p = await readProgress(handle);
    if (p?.pending?.kind === 'choose-release') options = p.pending.options;
    else if (p && p.status !== 'running') return;
    else await new Promise((r) => setTimeout(r, 200));
  }
  if (!options) throw new Error('the procedure did not offer releases to choose from');
  const stackName = (await readProgress(handle))?.stack ?? '';
  const summaries = new Map((await new ReleaseStore(c.config.dataDir).list(stackName)).map((r) => [r.id, r]));
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    process.stderr.write(`${colour.bold('[INFO]')} Available backups:\n\n`);
    options.forEach((id, i) => {
      const s = summaries.get(id);
      const tags = s
        ? Object.values(s.imageTags)
            .filter((v, j, a) => a.indexOf(v) === j)
            .join(',')
        : '';
      process.stderr.write(
        `  ${String(i + 1).padStart(4)}  ${id}  ${colour.dim(`${tags} ${s?.knownGood ? 'known-good' : ''}`)}\n`,
      );
    });
    for (;;) {
      const answer = (await rl.question(`\nEnter backup number to rollback to (or 'q' to quit): `)).trim();
      if (answer === 'q') {
        await handle.executeUpdate(abortUpdate, { args: [{ by, reason: 'quit at the release prompt' }] });
        throw new UsageError('rollback cancelled');
      }
      const chosen = options[Number(answer) - 1];
      if (!/^\d+$/.test(answer) || !chosen) {
        process.stderr.write(`please enter a number from 1 to ${options.length}\n`);
        continue;
      }
      const confirm = (await rl.question(`Rollback to ${chosen}? (yes/no): `)).trim();
      if (confirm !== 'yes') continue;
      await handle.executeUpdate(chooseReleaseUpdate, {
        args: [{ by, releaseId: chosen, reason: 'chosen interactively' }],
      });
      process.stderr.write(`${colour.bold('[INFO]')} Rolling back to: ${chosen}\n`);
      return;
    }
  } finally {
    rl.close();
  }
}
