/**
 * Every activity call is checked against its schema (activity-arguments.ts) before it runs: an activity
 * without one is refused, and a stack argument, wherever the schema puts one, is swapped for this worker's
 * own copy of that pinned version. So a command, URL, path or container an activity uses comes from the
 * worker's config, whoever scheduled the activity and whatever the history says. And only a Lifeline
 * workflow of that stack (its owner, a procedure, their children) has activities run: a workflow of
 * anyone else's, on a task queue of its own, is refused even when its payloads are sealed.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import type { Info } from '@temporalio/activity';
import { isLifelineWorkflowOf } from '../domain/workflow-ids';
import { ActivityArgumentSchemas, ActivityName, stackOfCall } from './activity-arguments';

const refuse = (message: string) => ApplicationFailure.nonRetryable(`${message}; nothing ran`, 'BadInput');

export class ActivityArgumentsInterceptor implements ActivityInboundCallsInterceptor {
  private readonly activityType: string;

  constructor(
    private readonly schemas: ActivityArgumentSchemas,
    private readonly info: Pick<Info, 'activityType' | 'workflowType' | 'workflowExecution'>,
  ) {
    this.activityType = info.activityType;
  }

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const schema = Object.hasOwn(this.schemas, this.activityType)
      ? this.schemas[this.activityType as keyof ActivityArgumentSchemas]
      : undefined;
    if (!schema) throw refuse(`activity ${this.activityType} takes no arguments this worker accepts`);
    const length = schema.items.length;
    if (input.args.length > length)
      throw refuse(`activity ${this.activityType} takes at most ${length} arguments, not ${input.args.length}`);
    // Optional trailing arguments may be left out; the schema says which.
    const given = [...input.args, ...Array<undefined>(length - input.args.length).fill(undefined)];
    const parsed = schema.safeParse(given);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw refuse(`activity ${this.activityType}: argument ${issue?.path.join('.') || '?'}: ${issue?.message}`);
    }
    const args = parsed.data as unknown[];
    const stack = stackOfCall(this.activityType as ActivityName, args);
    const workflowType = this.info.workflowType ?? '(none)';
    const workflowId = this.info.workflowExecution?.workflowId ?? '(none)';
    if (!isLifelineWorkflowOf(workflowType, workflowId, stack))
      throw refuse(
        `activity ${this.activityType} runs only for a Lifeline procedure of stack ${stack}, not for ${workflowType} ${workflowId}`,
      );
    return next({ ...input, args });
  }
}
