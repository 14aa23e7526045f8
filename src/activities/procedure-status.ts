/** Reads procedures' status from Temporal, for the stack owner's checks on procedures it did not start itself. */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { SA } from '../domain/search-attributes';
import { assertStackName } from '../domain/names';

export function createProcedureStatusActivities(deps: { client: Client }) {
  return {
    /** NOT_FOUND: it never started (the owner was replaced while starting it). */
    async procedureStatus(workflowId: string): Promise<{ open: boolean; status: string }> {
      try {
        const d = await deps.client.workflow.getHandle(workflowId).describe();
        return { open: d.status.name === 'RUNNING', status: d.status.name };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { open: false, status: 'NOT_FOUND' };
        throw err;
      }
    },

    /** The procedures still running on a stack, newest first (the owner itself left out). */
    async openProcedures(stack: string): Promise<{ workflowId: string; procedure: string; startedAt: string }[]> {
      const query = `${SA.stack.name} = '${assertStackName(stack)}' AND ExecutionStatus = 'Running' AND WorkflowType != 'stackOwner'`;
      const found: { workflowId: string; procedure: string; startedAt: string }[] = [];
      for await (const w of deps.client.workflow.list({ query })) {
        const procedure = w.typedSearchAttributes.get(SA.procedure);
        if (procedure) found.push({ workflowId: w.workflowId, procedure, startedAt: w.startTime.toISOString() });
      }
      return found.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
    },
  };
}
