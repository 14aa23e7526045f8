/**
 * Every activity argument that is a stack's settings (or holds one under `stack`) is swapped for this
 * worker's own copy of that pinned version before the activity runs, and refused if it differs. So a
 * command, URL, path or container an activity uses comes from the worker's config, whatever the history says.
 */
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { isStackSettings, PinnedStacks } from '../config/pinned-stacks';

export class PinnedStackInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly stacks: PinnedStacks) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const args = input.args.map((a) => {
      if (isStackSettings(a)) return this.stacks.verify(a);
      if (a && typeof a === 'object' && isStackSettings((a as { stack?: unknown }).stack)) {
        return { ...a, stack: this.stacks.verify((a as { stack: Parameters<PinnedStacks['verify']>[0] }).stack) };
      }
      return a;
    });
    return next({ ...input, args });
  }
}
