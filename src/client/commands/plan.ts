/**
 * `lifeline plan <stack> [method]`, and `--plan` on rollback and deploy: what the procedure would do, with
 * nothing changed. Exit 0 when it would run now, 1 when something blocks it.
 */
import type { Command } from 'commander';
import { assertImageTag, assertReleaseId } from '../../domain/names';
import type { PlanMethod, RollbackPlan } from '../../domain/rollback-plan';
import type { CommandContext } from '../context';
import { colour, EXIT, shown, UsageError } from '../output';
import { readRollbackPlan } from '../rollback-plan';
import { run } from './run';

export interface MethodOptions {
  quick?: boolean;
  release?: string;
  imageTag?: string;
  blueGreen?: boolean;
}

/** The method the options name; undefined when they name none. */
export function planMethodOf(o: MethodOptions): PlanMethod | undefined {
  if ([o.quick, o.release, o.imageTag, o.blueGreen].filter(Boolean).length > 1)
    throw new UsageError('choose one of --quick, --release, --image-tag, --blue-green');
  if (o.quick) return { method: 'quick' };
  if (o.release) return { method: 'release', releaseId: assertReleaseId(o.release) };
  if (o.imageTag) return { method: 'image-tag', imageTag: assertImageTag(o.imageTag) };
  if (o.blueGreen) return { method: 'blue-green' };
  return undefined;
}

export function renderPlan(p: RollbackPlan): string {
  const lines = [colour.bold(`Plan for ${p.stack}: ${p.procedure} (nothing was changed)`)];
  const t = p.target;
  lines.push(`Target: ${t.label ?? '(none)'}${t.why ? `: ${shown(t.why)}` : ''}`);
  for (const s of t.skipped) lines.push(colour.dim(`  passed over ${s.id}: ${shown(s.why)}`));
  if (p.services.length) lines.push('Services:');
  for (const s of p.services) {
    lines.push(`  ${s.service} (${s.container}): ${s.action}`);
    for (const c of s.changes.length ? s.changes : ['no setting changes (recreated with the target release label)'])
      lines.push(`    ${shown(c)}`);
  }
  if (p.configFiles.length) lines.push('Config files put back:');
  for (const f of p.configFiles) lines.push(`  ${shown(f.path)} (${f.now} on disk now)`);
  if (p.order.length) lines.push('Order:');
  for (const o of p.order)
    lines.push(`  ${o.step}. ${o.what}${o.containers.length ? `: ${o.containers.join(', ')}` : ''}`);
  for (const n of p.notes) lines.push(colour.dim(`Note: ${shown(n)}`));
  if (p.blockers.length) {
    lines.push(colour.red('Blocked:'));
    for (const b of p.blockers) lines.push(colour.red(`  - ${shown(b)}`));
  } else lines.push(colour.green('Nothing blocks it: it would run now.'));
  return lines.join('\n');
}

/** Prints the plan; exit 1 when something blocks it. */
export async function printPlan(
  c: CommandContext,
  stackName: string,
  methodOf: () => PlanMethod,
  opts: { queue?: boolean; force?: boolean },
): Promise<void> {
  let blocked = false;
  await run(
    c,
    async (ctx) => {
      const plan = await readRollbackPlan(ctx, ctx.stack(stackName), methodOf(), opts);
      blocked = plan.blockers.length > 0;
      return plan;
    },
    renderPlan,
  );
  if (blocked && process.exitCode === EXIT.ok) process.exitCode = EXIT.failed;
}

export function registerPlan(program: Command, ctx: () => CommandContext): void {
  program
    .command('plan <stack>')
    .description('what a rollback or deploy would do, changing nothing (exit 0: it would run; 1: blocked)')
    .option('--quick', 'method 1 (the default): back to the newest good release')
    .option('--release <id>', 'method 3: back to a specific release (YYYYMMDD-HHMMSS)')
    .option('--image-tag <tag>', 'method 5: the running services with this image tag')
    .option('--blue-green', 'method 6: traffic back to blue')
    .option('--deploy <tag>', 'a guarded deploy of this image tag')
    .option('--queue', 'as a request that would wait behind a running procedure')
    .option('--force', 'as a forced request (a quick rollback right after another change)')
    .addHelpText(
      'after',
      '\nExamples:\n  lifeline plan spacetime\n  lifeline plan spacetime --release 20251202-143022 --json',
    )
    .action((stackName: string, o: MethodOptions & { deploy?: string; queue?: boolean; force?: boolean }) =>
      printPlan(
        ctx(),
        stackName,
        () => {
          const rollback = planMethodOf(o);
          if (!o.deploy) return rollback ?? { method: 'quick' };
          if (rollback) throw new UsageError('--deploy plans a deploy: give no rollback method with it');
          return { method: 'deploy', imageTag: assertImageTag(o.deploy) };
        },
        o,
      ),
    );
}
