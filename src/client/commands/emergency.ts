/** `lifeline emergency <procedure> <stack>` and `lifeline escalate <stack>`. */
import type { Command } from 'commander';
import { assertReleaseId } from '../../domain/names';
import type { CommandContext } from '../context';
import { UsageError } from '../output';
import { renderResult } from '../render';
import { cliRequest, run, startAndFollow, startStandalone } from './run';

const EMERGENCIES = ['complete-service-outage', 'data-corruption', 'security-breach', 'rollback-failed'] as const;
type Emergency = (typeof EMERGENCIES)[number];

export function registerEmergency(program: Command, ctx: () => CommandContext): void {
  program
    .command('emergency <procedure> <stack>')
    .description(`run an emergency procedure: ${EMERGENCIES.join(', ')}`)
    .option('--release <id>', 'release to restore (default: chosen by the procedure or by a person)')
    .option('--reason <text>', 'what happened', 'emergency')
    .option('--as <name>', 'who starts it (default: $USER)')
    .option('--no-wait', 'start and print the workflow ID without following it')
    .option('--queue', 'when a higher-priority procedure holds the stack, run after it instead of refusing')
    .action(
      (
        procedure: string,
        stackName: string,
        o: { release?: string; reason: string; as?: string; wait: boolean; queue?: boolean },
      ) =>
        run(
          ctx(),
          async (c) => {
            if (!(EMERGENCIES as readonly string[]).includes(procedure))
              throw new UsageError(`unknown emergency procedure "${procedure}"; one of: ${EMERGENCIES.join(', ')}`);
            const args = {
              ...cliRequest(c, stackName, o),
              severity: 'critical' as const,
              ...(o.release ? { releaseId: assertReleaseId(o.release) } : {}),
              ...(procedure === 'rollback-failed' ? { triedReleases: [] } : {}),
            };
            return startAndFollow(c, procedure as Emergency, args, o);
          },
          renderResult,
        ),
    );

  program
    .command('escalate <stack>')
    .description('page the escalation ladder until someone acknowledges')
    .requiredOption('--reason <text>', 'what the incident is')
    .option('--level <n>', 'level to start at (1 on-call … 4 CTO)', '1')
    .option('--as <name>', 'who escalates (default: $USER)')
    .option('--no-wait', 'start and print the workflow ID without following it')
    .action((stackName: string, o: { reason: string; level: string; as?: string; wait: boolean }) =>
      run(
        ctx(),
        async (c) => {
          const level = Number(o.level);
          if (!Number.isInteger(level) || level < 1) throw new UsageError('--level is a whole number from 1');
          const args = {
            ...cliRequest(c, stackName, o),
            fromLevel: level,
          };
          return startStandalone(c, 'escalation', args, o.wait);
        },
        renderResult,
      ),
    );
}
