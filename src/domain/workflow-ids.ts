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

/**
 * The stack a Lifeline workflow ID names: the owner's `stack:<name>`, or `[emergency:]<procedure>:<stack>:...`,
 * which covers a procedure's children too (`...:post-actions`, `...:verify:<n>`). Undefined for any other ID.
 */
export function stackOfWorkflowId(id: string): string | undefined {
  const parts = id.split(':');
  if (parts[0] === 'stack') return parts.length === 2 && parts[1] ? parts[1] : undefined;
  const [procedure, stack, ...rest] = parts[0] === 'emergency' ? parts.slice(1) : parts;
  return Object.hasOwn(PROCEDURES, procedure) && stack && rest.length > 0 ? stack : undefined;
}

/** Whether `workflowId` names a procedure (not the owner) of `stack`, or one of its children. */
export function isProcedureOf(workflowId: string | undefined, stack: unknown): boolean {
  const owned = workflowId !== undefined && !/^(stack|stack-owner):/.test(workflowId);
  return owned && typeof stack === 'string' && stackOfWorkflowId(workflowId) === stack;
}

/** The workflow types whose activities the workers run: the procedures, their owner and their children. */
const LIFELINE_TYPES = new Set<string>([...Object.values(PROCEDURES), 'rollbackVerification', 'postRollbackActions']);

/**
 * Whether a workflow may have activities run for `stack`: a Lifeline workflow type, running as the stack's
 * owner or as one of its procedures (their children's IDs continue the procedure's).
 */
export function isLifelineWorkflowOf(workflowType: string, workflowId: string, stack: string): boolean {
  if (!LIFELINE_TYPES.has(workflowType)) return false;
  return workflowId === ownerWorkflowId(stack) || isProcedureOf(workflowId, stack);
}
