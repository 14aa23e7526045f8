/** Reads a workflow's status from Temporal, for the stack owner's check on a procedure it inherited. */
import type { Client } from '@temporalio/client';

export function createProcedureStatusActivities(deps: { client: Client }) {
  return {
    async procedureStatus(workflowId: string): Promise<{ open: boolean; status: string }> {
      const d = await deps.client.workflow.getHandle(workflowId).describe();
      return { open: d.status.name === 'RUNNING', status: d.status.name };
    },
  };
}
