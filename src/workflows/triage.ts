/**
 * One long-running triage per stack. Alerts arrive as signals (signal-with-start); duplicates are dropped;
 * the runbook's decision matrix, with timers, decides: roll back now, roll back after 5 minutes of a high
 * alert, ask a person after 15 minutes of a medium one, or monitor and log. A resolved alert withdraws a
 * pending question. At most one rollback of the stack runs at a time.
 */
import {
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  isCancellation,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { AlertEvent } from '../domain/alerts';
import { dedupKey } from '../domain/alert-payloads';
import type { ResolvedStack } from '../domain/config';
import { actionAsksPerson, actionRollsBack, decide, MatrixAction, nextDecisionPointMs } from '../domain/decision-matrix';
import type { ProcedureInput } from '../domain/procedure';
import { PROCEDURES, procedureStartMetadata, procedureWorkflowId } from '../domain/procedures';
import { alertSignal } from './definitions';
import { Procedure } from './procedure';
import { announce } from './steps/announce';

export interface TriageInput {
  stack: ResolvedStack;
  approvalTimeoutSeconds: number;
  carry?: TriageCarry;
}

interface ActiveAlert {
  event: AlertEvent;
  action?: MatrixAction;
}

export interface TriageCarry {
  active: ActiveAlert[];
  seen: string[];
  handled: string[];
  rollbacks: string[];
  deduplicated: number;
}

export interface TriageState {
  stack: string;
  active: { name: string; severity: string; startsAt: string; action?: MatrixAction }[];
  rollbackRunning?: string;
  rollbacks: string[];
  deduplicated: number;
  awaitingApprovalFor?: string;
}

export const triageStateQuery = defineQuery<TriageState>('triageState');

const SEEN_LIMIT = 5000;
const HISTORY_LIMIT = 8000;

export async function triage(input: TriageInput): Promise<void> {
  const { stack } = input;
  const p: Procedure = new Procedure('triage', stack.name);
  const carry = input.carry ?? { active: [], seen: [], handled: [], rollbacks: [], deduplicated: 0 };
  const active = new Map(carry.active.map((a) => [a.event.fingerprint, a]));
  const seen = new Set(carry.seen);
  const handled = new Set(carry.handled);
  const rollbacks = [...carry.rollbacks];
  let deduplicated = carry.deduplicated;
  const queue: AlertEvent[] = [];
  let rollbackRunning: string | undefined;
  let approval: { fingerprint: string; scope: CancellationScope } | undefined;
  let wake = false;

  setHandler(alertSignal, (e) => void queue.push(e));
  setHandler(triageStateQuery, () => ({
    stack: stack.name,
    active: [...active.values()].map((a) => ({ name: a.event.name, severity: a.event.severity, startsAt: a.event.startsAt, action: a.action })),
    rollbackRunning,
    rollbacks,
    deduplicated,
    awaitingApprovalFor: approval && active.get(approval.fingerprint)?.event.name,
  }));

  const handledKey = (a: ActiveAlert) => `${a.event.fingerprint}|${a.event.startsAt}`;

  function startRollback(trigger: ActiveAlert): void {
    // Everything firing now is covered by this one rollback.
    for (const a of active.values()) handled.add(handledKey(a));
    approval?.scope.cancel();
    if (rollbackRunning) {
      p.record(`${trigger.event.name}: rollback already running`, rollbackRunning);
      return;
    }
    const procedure = trigger.event.procedure ?? 'quick-rollback';
    const args: ProcedureInput = {
      stack,
      trigger: 'alert',
      reason: `${trigger.event.name}${trigger.event.summary ? `: ${trigger.event.summary}` : ''}`,
      requestedBy: `${trigger.event.source} alert`,
      severity: trigger.event.severity,
    };
    const workflowId = procedureWorkflowId(procedure, stack.name, new Date());
    rollbackRunning = workflowId;
    rollbacks.push(workflowId);
    p.record(`starting ${procedure}`, `${workflowId} for ${trigger.event.name}`);
    const run = async () => {
      try {
        const child = await startChild(PROCEDURES[procedure], {
          workflowId,
          args: [args],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          ...procedureStartMetadata(procedure, args),
        });
        await child.result();
        p.record(`${procedure} completed`, workflowId);
      } catch (err) {
        p.record(`${procedure} did not complete`, String((err as Error)?.message ?? err));
      } finally {
        rollbackRunning = undefined;
        wake = true;
      }
    };
    void run();
  }

  function askPerson(a: ActiveAlert): void {
    const scope = new CancellationScope();
    approval = { fingerprint: a.event.fingerprint, scope };
    const question = `${a.event.name} (${a.event.severity}) has lasted over 15 minutes: roll back ${stack.name}?`;
    scope
      .run(() => p.ask('approval', question, stack.escalation[0]?.name ?? 'on-call engineer', { timeoutSeconds: input.approvalTimeoutSeconds }))
      .then((d) => {
        if (d.approved && active.has(a.event.fingerprint)) startRollback(a);
        else handled.add(handledKey(a));
      })
      .catch((err) => {
        if (!isCancellation(err)) throw err;
        p.record(`question about ${a.event.name} withdrawn`);
      })
      .finally(() => {
        if (approval?.scope === scope) approval = undefined;
        wake = true;
      });
  }

  function receive(e: AlertEvent): void {
    const key = dedupKey(e);
    if (seen.has(key)) {
      deduplicated++;
      return;
    }
    seen.add(key);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
    if (e.status === 'resolved') {
      if (active.delete(e.fingerprint)) p.record(`${e.name} resolved`);
      if (approval?.fingerprint === e.fingerprint) approval.scope.cancel();
      return;
    }
    if (!active.has(e.fingerprint)) p.record(`${e.name} firing (${e.severity})`, e.summary);
    active.set(e.fingerprint, { event: e });
  }

  async function evaluate(): Promise<number | undefined> {
    let nextMs: number | undefined;
    for (const a of active.values()) {
      if (handled.has(handledKey(a))) continue;
      const lasted = Date.now() - Date.parse(a.event.startsAt);
      const action = decide(a.event.severity, lasted);
      if (action !== a.action) {
        a.action = action;
        p.record(`${a.event.name}: ${action}`);
        if (action === 'monitor-closely') await announce(stack, 'triage', 'alert', `${a.event.name} (high): monitoring closely; rollback if it lasts over 5 minutes`);
      }
      if (actionRollsBack(action)) startRollback(a);
      else if (actionAsksPerson(action) && !approval) askPerson(a);
      const next = nextDecisionPointMs(a.event.severity, lasted);
      if (next !== undefined) nextMs = Math.min(nextMs ?? next, next);
    }
    return nextMs;
  }

  for (;;) {
    while (queue.length) receive(queue.shift()!);
    const nextMs = await evaluate();
    const info = workflowInfo();
    if ((info.continueAsNewSuggested || info.historyLength > HISTORY_LIMIT) && !rollbackRunning && !approval && queue.length === 0) {
      await continueAsNew<typeof triage>({
        ...input,
        carry: { active: [...active.values()], seen: [...seen], handled: [...handled], rollbacks: rollbacks.slice(-50), deduplicated },
      });
    }
    wake = false;
    const woken = () => queue.length > 0 || wake;
    if (nextMs === undefined) await condition(woken);
    else await condition(woken, nextMs);
  }
}
