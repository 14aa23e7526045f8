/** Starting procedures: workflow types, readable workflow IDs, search attributes and summaries. */
import { Client, WorkflowHandle, WorkflowIdConflictPolicy } from '@temporalio/client';
import type { ProcedureInput } from '../domain/procedure';
import { formatReleaseId } from '../domain/release';
import { SA } from '../domain/search-attributes';
import { ORCHESTRATION_TASK_QUEUE } from '../domain/task-queues';

export const PROCEDURES = {
  'quick-rollback': 'quickRollback',
  'interactive-rollback': 'interactiveRollback',
  'specific-version-rollback': 'specificVersionRollback',
  'container-rollback': 'containerRollback',
  'blue-green-rollback': 'blueGreenRollback',
  'automatic-rollback': 'automaticRollback',
  'rollback-failed': 'rollbackFailed',
  'complete-service-outage': 'completeServiceOutage',
  'data-corruption': 'dataCorruption',
  'security-breach': 'securityBreach',
  escalation: 'escalation',
  backup: 'backup',
} as const;
export type ProcedureName = keyof typeof PROCEDURES;

/** Workflow IDs say what they are: `<procedure>:<stack>:<YYYYMMDD-HHMMSS>`. */
export function procedureWorkflowId(procedure: ProcedureName, stack: string, at = new Date()): string {
  const prefix = ['complete-service-outage', 'data-corruption', 'security-breach', 'rollback-failed'].includes(procedure) ? 'emergency:' : '';
  return `${prefix}${procedure}:${stack}:${formatReleaseId(at)}`;
}

export async function startProcedure<A extends ProcedureInput>(
  client: Client,
  procedure: ProcedureName,
  args: A,
  opts: { workflowId?: string; taskQueue?: string } = {},
): Promise<WorkflowHandle> {
  const workflowId = opts.workflowId ?? procedureWorkflowId(procedure, args.stack.name);
  return client.workflow.start(PROCEDURES[procedure], {
    taskQueue: opts.taskQueue ?? process.env.LIFELINE_TASK_QUEUE ?? ORCHESTRATION_TASK_QUEUE,
    workflowId,
    args: [args],
    // A second start within the same second (a double click) gets the running procedure, not a second one.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [
      { key: SA.stack, value: args.stack.name },
      { key: SA.procedure, value: procedure },
      { key: SA.trigger, value: args.trigger },
      ...(args.severity ? [{ key: SA.severity, value: args.severity }] : []),
    ],
    staticSummary: `${procedure} of ${args.stack.name} (${args.trigger}, by ${args.requestedBy})`,
    staticDetails: `Reason: ${args.reason}\n\nRunbook: ROLLBACK_PROCEDURES.md, ${procedure}`,
  });
}
