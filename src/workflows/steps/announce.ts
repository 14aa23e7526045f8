import { log, workflowInfo } from '@temporalio/workflow';
import type { ChecklistItem } from '../../domain/checklist';
import type { EscalationLevel, ResolvedStack } from '../../domain/config';
import { NOTICE_NOT_SENT } from '../../domain/incident';
import type { Audience, LifelineEvent } from '../../activities/notify';
import { orchestration } from '../activities';
import type { Procedure } from '../procedure-state';
import { messageOf } from './messages';

/** Whether people were told: how many targets accepted the message, or why nobody was. */
export type Delivery = { accepted: number } | { skipped: string };

/**
 * Notifies the stack's targets; a notification that cannot be delivered is never fatal to a rollback. Given
 * the procedure (not only its name), a notice that failed or that a target refused is recorded in its
 * timeline, and so in its incident report.
 */
export async function announce(
  stack: ResolvedStack,
  procedure: Procedure | string,
  kind: LifelineEvent['kind'],
  message: string,
  level?: string,
): Promise<Delivery> {
  if (stack.notifications.length === 0) return { skipped: 'no notification target configured' };
  const p = typeof procedure === 'string' ? undefined : procedure;
  const name = typeof procedure === 'string' ? procedure : procedure.state.procedure;
  const event = { kind, procedure: name, message, level, stack: stack.name, workflowId: workflowInfo().workflowId };
  return deliver(p, stack, event, 'stakeholders');
}

/** Pages one escalation level's contacts, if it has any; a page that was not delivered is recorded in `p`. */
export async function page(p: Procedure, stack: ResolvedStack, level: EscalationLevel, message: string): Promise<void> {
  if (!level.contacts.length) return;
  await deliver(
    p,
    stack,
    {
      kind: 'escalated',
      procedure: p.state.procedure,
      stack: stack.name,
      workflowId: workflowInfo().workflowId,
      message,
      level: level.name,
    },
    { escalationLevel: level.name },
  );
}

async function deliver(
  p: Procedure | undefined,
  stack: ResolvedStack,
  event: LifelineEvent,
  to: Audience,
): Promise<Delivery> {
  const notSent = (why: string) => {
    const detail = `${event.kind} to ${to === 'stakeholders' ? to : to.escalationLevel} ("${event.message}"): ${why}`;
    if (p) p.record(NOTICE_NOT_SENT, detail);
    else log.warn(NOTICE_NOT_SENT, { detail });
  };
  let sent: Awaited<ReturnType<typeof orchestration.notify>>;
  try {
    sent = await orchestration.notify(stack, event, to);
  } catch (err) {
    notSent(messageOf(err));
    return { skipped: `notification failed: ${messageOf(err)}` };
  }
  const { accepted, targets, refused } = sent;
  if (accepted < targets)
    notSent(
      `${targets - accepted} of ${targets} target(s) did not accept it${refused.length ? `: ${refused.join('; ')}` : ''}`,
    );
  return accepted > 0 ? { accepted } : { skipped: 'no target accepted the message' };
}

/** Announces, and ticks the checklist item only on the evidence that someone accepted the message. */
export async function announceAndTick(
  p: Procedure,
  item: ChecklistItem,
  stack: ResolvedStack,
  kind: LifelineEvent['kind'],
  message: string,
): Promise<Delivery> {
  const delivery = await announce(stack, p, kind, message);
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
