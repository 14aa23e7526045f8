/** The procedures Lifeline runs: their names, workflow types and readable workflow IDs. */
import type { StackRef } from './config';
import type { ProcedureInput } from './procedure-types';
import { formatReleaseId } from './release-rules';
import { SA } from './search-attributes';

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
  'stack-owner': 'stackOwner',
  backup: 'backup',
} as const;
export type ProcedureName = keyof typeof PROCEDURES;

const EMERGENCIES: readonly ProcedureName[] = [
  'complete-service-outage',
  'data-corruption',
  'security-breach',
  'rollback-failed',
];

/** `<procedure>:<stack>:<YYYYMMDD-HHMMSS>`, emergencies prefixed `emergency:`. */
export function procedureWorkflowId(procedure: ProcedureName, stack: string, at: Date): string {
  return `${EMERGENCIES.includes(procedure) ? 'emergency:' : ''}${procedure}:${stack}:${formatReleaseId(at)}`;
}

/** One long-lived owner workflow per stack: every procedure on the stack is its child. */
export const ownerWorkflowId = (stack: string): string => `stack:${stack}`;

/** Search attributes and Web UI summary every procedure starts with, from the CLI, the API or triage. */
export function procedureStartMetadata(
  procedure: ProcedureName,
  args: Omit<ProcedureInput, 'stack'> & { stack: StackRef },
) {
  return {
    typedSearchAttributes: [
      { key: SA.stack, value: args.stack.name },
      { key: SA.procedure, value: procedure as string },
      { key: SA.trigger, value: args.trigger as string },
      ...(args.severity ? [{ key: SA.severity, value: args.severity as string }] : []),
    ],
    staticSummary: `${procedure} of ${args.stack.name} (${args.trigger}, by ${args.requestedBy})`,
    staticDetails: `Reason: ${args.reason}\n\nRunbook: ROLLBACK_PROCEDURES.md, ${procedure}`,
  };
}

/** `procedureWorkflowId`'s shape; a hand-over's ID ends with the ID of the procedure that handed over instead. */
const PROCEDURE_ID = /^(?:emergency:)?([a-z-]+):([a-z0-9][a-z0-9_-]{0,62}):(?:\d{8}-\d{6}|[a-z-]+:)[A-Za-z0-9:_.-]*$/;

/** Whether `workflowId` names a procedure (not the owner) of `stack`, as `procedureWorkflowId` makes them. */
export function isProcedureOf(workflowId: string | undefined, stack: unknown): boolean {
  const m = workflowId === undefined ? null : PROCEDURE_ID.exec(workflowId);
  return !!m && m[1] !== 'stack-owner' && Object.hasOwn(PROCEDURES, m[1]) && m[2] === stack;
}

/** The workflow types whose activities the workers run: the procedures, their owner and their children. */
const LIFELINE_TYPES = new Set<string>([...Object.values(PROCEDURES), 'rollbackVerification', 'postRollbackActions']);

/**
 * Whether a workflow may have activities run for `stack`: a Lifeline workflow type, running as the stack's
 * owner or as one of its procedures (their children's IDs continue the procedure's). Without a stack (a
 * status read), the type alone.
 */
export function isLifelineWorkflowOf(workflowType: string, workflowId: string, stack?: string): boolean {
  if (!LIFELINE_TYPES.has(workflowType)) return false;
  return stack === undefined || workflowId === ownerWorkflowId(stack) || isProcedureOf(workflowId, stack);
}
