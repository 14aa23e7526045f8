/**
 * The workflow's check of a decision the API authenticated: the proof must be sealed with this worker's
 * decision key and name the workflow that asks. The person and question it names are the workflow's to check.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ResolvedStack } from '../domain/config';
import { type DecisionPass, openPass } from '../codec/decision-passes';

export function createDecisionProofActivities(deps: { decisionKey?: string }) {
  return {
    async openDecisionProof(_stack: ResolvedStack, proof: string): Promise<DecisionPass> {
      if (!deps.decisionKey)
        throw ApplicationFailure.nonRetryable('this worker has no decision key (LIFELINE_DECISION_KEY)', 'InvalidPass');
      let pass: DecisionPass;
      try {
        pass = openPass(deps.decisionKey, 'proof', proof);
      } catch (err) {
        throw ApplicationFailure.nonRetryable(
          `the decision's proof is invalid: ${(err as Error).message}`,
          'InvalidPass',
        );
      }
      const caller = Context.current().info.workflowExecution?.workflowId;
      if (pass.workflowId !== caller)
        throw ApplicationFailure.nonRetryable(
          `the decision's proof is for ${pass.workflowId}, not ${caller}`,
          'InvalidPass',
        );
      return pass;
    },
  };
}
