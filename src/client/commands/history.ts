/** `lifeline history`: the audit trail, read from the data folder, long after Temporal's history is gone. */
import type { Command } from 'commander';
import type { AuditRecord } from '../../domain/audit';
import { seconds } from '../../domain/recovery';
import { readAudit } from '../../store/audit-log';
import type { CommandContext } from '../context';
import { UsageError } from '../output';
import { run } from './run';

const dateOption = (name: string, value: string | undefined): Date | undefined => {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`--${name} ${JSON.stringify(value)} is not a date (2026-12-05 or 2026-12-05T10:00Z)`);
  return d;
};

export function registerHistory(program: Command, ctx: () => CommandContext): void {
  program
    .command('history')
    .description("past procedures from the audit trail (<dataDir>/audit): outlives the Temporal history's retention")
    .option('--since <date>', 'from this time (ISO 8601)')
    .option('--until <date>', 'before this time (ISO 8601)')
    .option('--stack <name>', 'only this stack')
    .action((o: { since?: string; until?: string; stack?: string }) =>
      run(
        ctx(),
        async (c) => {
          const stack = o.stack === undefined ? undefined : c.stack(o.stack).name;
          const records = readAudit(c.config.dataDir, {
            since: dateOption('since', o.since),
            until: dateOption('until', o.until),
          });
          return records.filter((r) => stack === undefined || r.stack === stack);
        },
        renderHistory,
      ),
    );
}

function renderHistory(records: AuditRecord[]): string {
  if (records.length === 0) return 'no procedures recorded in that range';
  return records
    .map((r) => {
      const moved = r.fromRelease || r.toRelease ? ` ${r.fromRelease ?? '?'} → ${r.toRelease ?? '?'}` : '';
      const who = r.requestedBy ? ` (${r.trigger ?? '?'}, by ${r.requestedBy})` : '';
      const decided = r.decisions.map(
        (d) =>
          `${d.kind}${d.approved === false ? ' denied' : ''} by ${d.by}${d.authenticated ? ` via ${d.channel}` : ''} at ${d.at}`,
      );
      const healthy = r.toHealthySeconds === undefined ? '' : `; healthy after ${seconds(r.toHealthySeconds * 1000)}`;
      return [
        `${r.at} ${r.stack} ${r.procedure}${who}: ${r.outcome}${moved}${healthy}`,
        ...decided.map((d) => `    ${d}`),
        `    report: ${r.report}`,
      ].join('\n');
    })
    .join('\n');
}
