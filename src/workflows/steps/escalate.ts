import type { ResolvedStack } from '../../domain/config';
import type { Decision } from '../../domain/procedure';
import type { Procedure } from '../procedure';
import { orchestration } from '../activities';
import { workflowInfo, log } from '@temporalio/workflow';

/**
 * The runbook's escalation path. Starting at `fromLevel` (1-based), each level is notified and given its
 * acknowledgement timeout; silence moves the incident up. The last level is waited on without end.
 */
export async function escalate(p: Procedure, stack: ResolvedStack, fromLevel: number, message: string): Promise<Decision> {
  const levels = stack.escalation;
  for (let i = Math.min(Math.max(fromLevel, 1), levels.length) - 1; ; i++) {
    const level = levels[Math.min(i, levels.length - 1)];
    const last = i >= levels.length - 1;
    p.setEscalationLevel(Math.min(i, levels.length - 1) + 1);
    if (level.contacts.length) {
      await orchestration
        .notify(level.contacts, { kind: 'escalated', procedure: p.state.procedure, stack: stack.name, workflowId: workflowInfo().workflowId, message, level: level.name })
        .catch((err) => log.warn('escalation notice failed', { error: String(err) }));
    }
    const d = await p.ask('ack', `${message} — acknowledge to take the incident`, level.name, { timeoutSeconds: last ? undefined : level.ackTimeoutSeconds });
    if (d.kind !== 'timeout') return d;
  }
}
