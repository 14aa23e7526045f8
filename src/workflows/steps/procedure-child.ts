/**
 * Verification and post-rollback actions act on a stack only for a procedure of that stack: started on their
 * own (anyone who reaches Temporal could), they refuse before any activity, as procedures refuse without
 * their owner.
 */
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { isProcedureOf } from '../../domain/workflow-ids';

export function requireProcedureParent(stack: { name: unknown } | undefined): void {
  const parent = workflowInfo().parent?.workflowId;
  if (!isProcedureOf(parent, stack?.name))
    throw ApplicationFailure.nonRetryable(
      `${workflowInfo().workflowType} runs only as a child of a Lifeline procedure of stack ${JSON.stringify(stack?.name)} (its parent is ${parent ?? 'none'}); nothing ran`,
      'NotOwner',
    );
}
