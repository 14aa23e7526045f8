import { log, workflowInfo } from '@temporalio/workflow';
import type { ResolvedStack } from '../../domain/config';
import type { LifelineEvent } from '../../activities/notify';
import { orchestration } from '../activities';

/** Notifies the stack's targets. A notification that cannot be delivered is logged, never fatal to a rollback. */
export async function announce(stack: ResolvedStack, procedure: string, kind: LifelineEvent['kind'], message: string, level?: string): Promise<void> {
  if (stack.notifications.length === 0) return;
  try {
    await orchestration.notify(stack.notifications, { kind, procedure, message, level, stack: stack.name, workflowId: workflowInfo().workflowId });
  } catch (err) {
    log.warn('notification failed', { error: String(err) });
  }
}
