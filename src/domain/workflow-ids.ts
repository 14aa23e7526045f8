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
