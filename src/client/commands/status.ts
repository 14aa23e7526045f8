/** `lifeline status <workflow-id> [--watch]` and `lifeline procedures <stack>`. */
import type { Command } from 'commander';
import { assertStackName } from '../../domain/names';
import type { ProcedureProgress } from '../../domain/procedure-types';
import type { CommandContext } from '../context';
import { readProgress } from '../progress';
import { renderOwnerState, renderProgress } from '../render';
import type { OwnerState } from '../../domain/owner';
import { ownerWorkflowId } from '../../domain/workflow-ids';
import { ownerStateQuery } from '../../workflows/definitions';
import { run } from './run';

export function registerStatus(program: Command, ctx: () => CommandContext): void {
  program
    .command('status <workflow-id>')
    .description("current step, checklist and pending decision of a procedure; stack:<name> for the stack's state")
    .option('--watch', 'refresh until the procedure closes')
    .action((workflowId: string, o: { watch?: boolean }) =>
      run(
        ctx(),
        async (c) => {
          const handle = (await c.client()).workflow.getHandle(workflowId);
          if (workflowId.startsWith(ownerWorkflowId(''))) return { owner: await handle.query(ownerStateQuery) };
          for (;;) {
            const desc = await handle.describe();
            const progress = await readProgress(handle);
            const closed = desc.status.name !== 'RUNNING';
            if (!o.watch || closed) return { workflowId, status: desc.status.name, progress };
            if (progress && !c.out.json) process.stderr.write(`\x1b[2J\x1b[H${renderProgress(workflowId, progress)}\n`);
            await new Promise((r) => setTimeout(r, 1000));
          }
        },
        (r: { workflowId: string; status: string; progress?: ProcedureProgress } | { owner: OwnerState }) =>
          'owner' in r
            ? renderOwnerState(r.owner)
            : r.progress
              ? renderProgress(r.workflowId, r.progress, r.status)
              : `${r.workflowId}: ${r.status} (no progress available)`,
      ),
    );

  program
    .command('procedures <stack>')
    .description("a stack's running and past procedures in Temporal, newest first (lifeline history: after retention)")
    .option('--limit <n>', 'how many', '20')
    .action((stackName: string, o: { limit: string }) =>
      run(
        ctx(),
        async (c) => {
          const client = await c.client();
          const rows: { workflowId: string; procedure: string; status: string; started: string; closed?: string }[] =
            [];
          const query = `LifelineStack = "${assertStackName(stackName)}"`;
          for await (const w of client.workflow.list({ query })) {
            rows.push({
              workflowId: w.workflowId,
              procedure: String(w.searchAttributes?.LifelineProcedure?.[0] ?? w.type),
              status: w.status.name,
              started: w.startTime.toISOString(),
              closed: w.closeTime?.toISOString(),
            });
            if (rows.length >= Number(o.limit)) break;
          }
          return rows;
        },
        (rows) =>
          rows.length
            ? rows
                .map((r) => `${r.started}  ${r.status.padEnd(10)} ${r.procedure.padEnd(26)} ${r.workflowId}`)
                .join('\n')
            : 'no procedures recorded for this stack',
      ),
    );
}
