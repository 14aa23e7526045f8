/**
 * Workflow interceptor: every activity scheduled inside a procedure step carries the step's name as its
 * summary, so the Web UI's event history reads like the runbook. The step lives on the workflow's own
 * globalThis, which the SDK keeps separate per workflow.
 */
import type {
  ActivityInput,
  Next,
  WorkflowInterceptorsFactory,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

interface StepHolder {
  __lifelineStep?: string;
}

/** Sets the current step; returns the one it replaces, so nested steps restore their parent's. */
export function setCurrentStep(step: string | undefined): string | undefined {
  const previous = (globalThis as StepHolder).__lifelineStep;
  (globalThis as StepHolder).__lifelineStep = step;
  return previous;
}

class StepSummaryInterceptor implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    const step = (globalThis as StepHolder).__lifelineStep;
    if (!step || input.options.summary) return next(input);
    return next({ ...input, options: { ...input.options, summary: `${step}: ${input.activityType}` } });
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [new StepSummaryInterceptor()] });
