/** Starting procedures from the CLI and the API. */
import { Client, WorkflowHandle, WorkflowIdConflictPolicy } from '@temporalio/client';
import type { ProcedureInput } from '../domain/procedure';
import { PROCEDURES, ProcedureName, procedureStartMetadata, procedureWorkflowId } from '../domain/procedures';
import { ORCHESTRATION_TASK_QUEUE } from '../domain/task-queues';

export type { ProcedureName };

export async function startProcedure<A extends ProcedureInput>(
  client: Client,
  procedure: ProcedureName,
  args: A,
  opts: { workflowId?: string; taskQueue?: string } = {},
): Promise<WorkflowHandle> {
  const workflowId = opts.workflowId ?? procedureWorkflowId(procedure, args.stack.name, new Date());
  return client.workflow.start(PROCEDURES[procedure], {
    taskQueue: opts.taskQueue ?? process.env.LIFELINE_TASK_QUEUE ?? ORCHESTRATION_TASK_QUEUE,
    workflowId,
    args: [args],
    // A second start within the same second (a double click) gets the running procedure, not a second one.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    ...procedureStartMetadata(procedure, args),
  });
}
