/** `lifeline releases` (rollback.sh --list) and `lifeline backup`. */
import type { Command } from 'commander';
import { ReleaseStore } from '../../store/release-store';
import type { ReleaseSummary } from '../../domain/release';
import type { CommandContext } from '../context';
import { assertReleaseId } from '../../domain/names';
import { colour, UsageError } from '../output';
import { follow } from '../progress';
import { cliRequest, operatorName, requestProcedure, run } from './run';

export function registerReleases(program: Command, ctx: () => CommandContext): void {
  program
    .command('releases <stack>')
    .description('list recorded releases, newest first and numbered')
    .action((stackName: string) =>
      run(ctx(), async (c) => new ReleaseStore(c.config.dataDir).list(c.stack(stackName).name), renderReleases),
    );

  program
    .command('mark <stack> <release-id>')
    .description('mark a release known-bad (quick rollback skips it) or known-good')
    .option('--bad <reason>', 'mark known-bad, saying why')
    .option('--good', 'mark known-good')
    .option('--as <name>', 'who marks it')
    .action((stackName: string, releaseId: string, o: { bad?: string; good?: boolean; as?: string }) =>
      run(
        ctx(),
        async (c) => {
          if (Boolean(o.bad) === Boolean(o.good)) throw new UsageError('give exactly one of --bad <reason> or --good');
          return new ReleaseStore(c.config.dataDir).mark(
            c.stack(stackName).name,
            assertReleaseId(releaseId),
            o.bad ? { knownBad: o.bad } : { knownGood: 'vouched for by a person' },
            operatorName(o.as),
            new Date(),
          );
        },
        (r) => `${r.id}: ${r.knownBad ? 'known-bad' : 'known-good'}`,
      ),
    );

  program
    .command('backup <stack>')
    .description('record the running stack as a release')
    .option('--known-good', 'mark the release as known good')
    .option('--reason <text>', 'why', 'manual backup')
    .option('--as <name>', 'who records it')
    .option('--queue', 'when another procedure holds the stack, record after it instead of refusing')
    .action((stackName: string, o: { knownGood?: boolean; reason: string; as?: string; queue?: boolean }) =>
      run(
        ctx(),
        async (c) => {
          const args = { ...cliRequest(c, stackName, o), knownGood: o.knownGood };
          const { handle } = await requestProcedure(c, 'backup', args, { wait: true, queue: o.queue });
          return follow<{ release: ReleaseSummary; pruned: string[] }>(c.out, handle, { quiet: true });
        },
        (r) =>
          `recorded release ${colour.bold(r.release.id)} (${r.release.services} services)${r.pruned.length ? `; retention removed ${r.pruned.join(', ')}` : ''}`,
      ),
    );
}

function renderReleases(list: ReleaseSummary[]): string {
  if (!list.length) return 'no releases recorded';
  return list
    .map((r, i) => {
      const tags = [...new Set(Object.values(r.imageTags))].join(',');
      const marks = r.knownGood
        ? colour.green('known-good')
        : r.knownBad
          ? colour.red('known-bad')
          : r.rolledBackFrom
            ? colour.yellow('rolled-back-from')
            : '';
      return `${String(i + 1).padStart(6)}  ${r.id}  ${tags.padEnd(10)} ${r.services} services  ${marks}  ${colour.dim(r.reason)}`;
    })
    .join('\n');
}
