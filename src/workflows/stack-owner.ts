/**
 * The stack's owner: one long-lived workflow per stack (`stack:<name>`) that every entry point reaches,
 * the CLI and API by update-with-start, alerts by signal-with-start. Exactly one procedure that changes
 * the stack runs at a time, as its child; others are joined, queued, refused, or preempted by priority.
 * It also triages the stack's alerts (the runbook's decision matrix). It continues-as-new with its state,
 * never blocked by a running child: the child reports its end by signal to whichever run is current.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import type { StackRef } from '../domain/config';
import { isOwnedProcedure } from '../domain/ownership';
import { ownerChecks } from './activities';
import {
  alertSignal,
  liftHoldUpdate,
  ownerStateQuery,
  procedureEndedSignal,
  requestProcedureUpdate,
} from './definitions';
import { messageOf } from './steps/messages';
import { AlertTriage, TriageCarry } from './owner/alert-triage';
import { Ownership, OwnershipCarry } from './owner/ownership';
import { Procedure } from './procedure-state';
import { StackSettings } from './owner/stack-settings';

export interface StackOwnerInput {
  /** Only the name counts: settings come from the worker's config (runs before that carried them here). */
  stack: StackRef;
  approvalTimeoutSeconds: number;
  carry?: { ownership: OwnershipCarry; triage: TriageCarry };
}

/** A run continues as new past this many history events; the triage test asserts the bound. */
export const OWNER_HISTORY_LIMIT = 1000;
/** How often a procedure inherited from an earlier run is checked, in case it ended without reporting (terminated). */
const INHERITED_CHECK_MS = 30_000;
const TIMELINE_KEPT = 200;

/**
 * The owner outlives every build: under worker versioning it moves to the current version at its next
 * workflow task (procedures stay PINNED, the worker's default). A change to this workflow's code therefore
 * meets old histories and must be guarded with patched() until no such history remains (docs/VERSIONING.md).
 */
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'AUTO_UPGRADE' } : {}),
  stackOwner,
);

export async function stackOwner(input: StackOwnerInput): Promise<void> {
  const stack = new StackSettings(input.stack);
  const p: Procedure = new Procedure('stack-owner', stack.name, { timelineLimit: TIMELINE_KEPT, abortable: false });
  let changes = 0;
  const changed = () => void changes++;
  // Ownership's notices go out through triage, which already tells people about the stack.
  const ownership: Ownership = new Ownership(
    stack,
    p,
    changed,
    (message, hold) => triage.notify(message, hold),
    input.carry?.ownership,
  );
  const triage = new AlertTriage(stack, input.approvalTimeoutSeconds, p, ownership, changed, input.carry?.triage);

  setHandler(requestProcedureUpdate, (request) => ownership.request(request), {
    validator: (request) => {
      if (!request || !isOwnedProcedure(request.procedure))
        throw new Error(`not a procedure that acts on a stack: ${JSON.stringify(request?.procedure)}`);
      if (request.args?.stack?.name !== stack.name)
        throw new Error(`this owner holds stack ${stack.name}, not ${JSON.stringify(request.args?.stack?.name)}`);
      if (request.whenBusy !== 'refuse' && request.whenBusy !== 'queue')
        throw new Error('whenBusy is "refuse" or "queue"');
      if (request.force !== undefined && typeof request.force !== 'boolean') throw new Error('force is true or false');
    },
  });
  setHandler(liftHoldUpdate, (decision) => ownership.lift(decision), {
    validator: (decision) => {
      const refusal = ownership.liftRefusal(decision);
      if (refusal) throw new Error(refusal);
    },
  });
  setHandler(procedureEndedSignal, (end) => ownership.ended(end));
  setHandler(alertSignal, (alerts) => (Array.isArray(alerts) ? alerts : [alerts]).forEach((e) => triage.receive(e)));
  setHandler(ownerStateQuery, () => ({ stack: stack.name, ...ownership.view(), ...triage.view() }));

  for (;;) {
    const seen = changes;
    const nextMs = triage.evaluate();
    const info = workflowInfo();
    // Only with nothing in flight: a start being answered, a notice being sent, a request being handled.
    if ((info.continueAsNewSuggested || info.historyLength > OWNER_HISTORY_LIMIT) && triage.idle && ownership.idle) {
      await triage.settle();
      await condition(allHandlersFinished);
      // Anything that began meanwhile (an end report starting the next procedure) goes round the loop first.
      if (triage.idle && ownership.idle)
        await continueAsNew<typeof stackOwner>({
          ...input,
          carry: { ownership: ownership.carry(), triage: triage.carry() },
        });
    }
    const timeouts = [nextMs, ownership.runningInherited ? INHERITED_CHECK_MS : undefined].filter(
      (t): t is number => t !== undefined,
    );
    const woken = await (timeouts.length
      ? condition(() => changes !== seen, Math.min(...timeouts))
      : condition(() => changes !== seen).then(() => true));
    if (!woken && ownership.runningInherited && ownership.running) await checkInherited(ownership, p);
  }
}

/** A procedure inherited from an earlier run: freed when it ended unreported; a preemption it missed is sent again. */
async function checkInherited(ownership: Ownership, p: Procedure): Promise<void> {
  const { workflowId } = ownership.running!;
  try {
    const status = await ownerChecks.procedureStatus(workflowId);
    if (status.open) return ownership.sendPreemption();
    ownership.ended({
      workflowId,
      status: status.status === 'COMPLETED' ? 'completed' : 'failed',
      detail: `ended as ${status.status} without reporting`,
    });
  } catch (err) {
    // The loop never throws: the next check tries again.
    p.record(`could not check ${workflowId}`, messageOf(err));
  }
}
