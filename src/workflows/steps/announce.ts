import { log, workflowInfo } from '@temporalio/workflow';
import type { ChecklistItem } from '../../domain/checklist';
import type { ResolvedStack } from '../../domain/config';
import type { LifelineEvent } from '../../activities/notify';
import { orchestration } from '../activities';
import type { Procedure } from '../procedure-state';
import { messageOf } from './messages';

/** Whether people were told: how many targets accepted the message, or why nobody was. */
export type Delivery = { accepted: number } | { skipped: string };

/** Notifies the stack's targets. A notification that cannot be delivered is logged, never fatal to a rollback. */
export async function announce(
  stack: ResolvedStack,
  procedure: string,
  kind: LifelineEvent['kind'],
  message: string,
  level?: string,
): Promise<Delivery> {
  if (stack.notifications.length === 0) return { skipped: 'no notification target configured' };
  try {
    const sent = await orchestration.notify(stack, {
      kind,
      procedure,
      message,
      level,
      stack: stack.name,
      workflowId: workflowInfo().workflowId,
    });
    // Histories from before delivery was counted hold the number of targets.
    const accepted = typeof sent === 'number' ? sent : sent.accepted;
    return accepted > 0 ? { accepted } : { skipped: 'no target accepted the message' };
  } catch (err) {
    log.warn('notification failed', { error: String(err) });
    return { skipped: `notification failed: ${messageOf(err)}` };
  }
}

/** Announces, and ticks the checklist item only on the evidence that someone accepted the message. */
export async function announceAndTick(
  p: Procedure,
  item: ChecklistItem,
  stack: ResolvedStack,
  kind: LifelineEvent['kind'],
  message: string,
): Promise<Delivery> {
  const delivery = await announce(stack, p.state.procedure, kind, message);
  if ('accepted' in delivery) p.tick(item, 'done', `${delivery.accepted} target(s) accepted`);
  else p.tick(item, 'skipped', delivery.skipped);
  return delivery;
}

/** The runbook's opening, written once: the incident is logged and, when the procedure announces itself, people are told. */
export async function openIncident(
  p: Procedure,
  stack: ResolvedStack,
  detail: string,
  announcement?: { kind: LifelineEvent['kind']; message: string },
): Promise<void> {
  p.tick('Incident logged', 'done', detail);
  if (announcement) await announceAndTick(p, 'Stakeholders notified', stack, announcement.kind, announcement.message);
}
