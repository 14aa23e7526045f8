import type { ResolvedStack } from '../../domain/config';
import type { Decision } from '../../domain/procedure-types';
import { page } from './announce';
import type { Procedure } from '../procedure-state';

export interface EscalatedResult {
  status: 'escalated';
  acknowledgedBy: string;
  level: string;
  reason: string;
}

/**
 * The runbook's escalation path. Starting at `fromLevel` (1-based), each level is notified and given its
 * acknowledgement timeout; silence moves the incident up. The last level is waited on without end.
 */
export async function escalate(
  p: Procedure,
  stack: ResolvedStack,
  fromLevel: number,
  message: string,
): Promise<Decision & { level: string }> {
  const levels = stack.escalation;
  for (let i = Math.min(Math.max(fromLevel, 1), levels.length) - 1; ; i++) {
    const index = Math.min(i, levels.length - 1);
    const level = levels[index];
    const last = index === levels.length - 1;
    p.setEscalationLevel(index + 1);
    await page(p, stack, level, message);
    const d = await p.ask('ack', `${message} — acknowledge to take the incident`, level.name, {
      timeoutSeconds: last ? undefined : level.ackTimeoutSeconds,
    });
    if (d.kind !== 'timeout') return { ...d, level: level.name };
  }
}

/** Escalates, then ends the procedure as escalated once someone has taken it. */
export async function escalateAndFinish(
  p: Procedure,
  stack: ResolvedStack,
  fromLevel: number,
  reason: string,
): Promise<EscalatedResult> {
  const ack = await p.step(`escalate: ${reason}`, () => escalate(p, stack, fromLevel, reason));
  p.finish('completed', `escalated; taken by ${ack.by} (${ack.level})`);
  return { status: 'escalated', acknowledgedBy: ack.by, level: ack.level, reason };
}
