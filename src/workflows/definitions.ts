/** Every signal, query and update Lifeline's workflows understand. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  Decision,
  DecisionInput,
  MonitoringWindow,
  ProcedureEnd,
  ProcedureProgress,
} from '../domain/procedure-types';
import type { AlertEvent } from '../domain/alerts';
import type { LiftedHold, LiftHoldInput, OwnerReply, OwnerState, ProcedureRequest } from '../domain/owner';

export const progressQuery = defineQuery<ProcedureProgress>('progress');
/** The monitoring window a verification or post-rollback workflow is in (undefined outside one). */
export const monitoringWindowQuery = defineQuery<MonitoringWindow | undefined>('monitoringWindow');

export const acknowledgeUpdate = defineUpdate<Decision, [DecisionInput]>('acknowledge');
export const approveUpdate = defineUpdate<Decision, [DecisionInput]>('approve');
export const denyUpdate = defineUpdate<Decision, [DecisionInput]>('deny');
export const chooseReleaseUpdate = defineUpdate<Decision, [DecisionInput]>('chooseRelease');
export const confirmStepUpdate = defineUpdate<Decision, [DecisionInput]>('confirmStep');
export const abortUpdate = defineUpdate<Decision, [DecisionInput]>('abort');

/** Sent by the stack owner to the procedure it preempts; the procedure stops at its next safe point. */
export const preemptSignal = defineSignal<[{ by: string; procedure: string }]>('preempt');

// The stack owner (one per stack, `stack:<name>`): every entry point reaches it.
/** Alerts for the stack: the API sends all of one webhook delivery's alerts for a stack in one signal. */
export const alertSignal = defineSignal<[AlertEvent | AlertEvent[]]>('alert');
export const requestProcedureUpdate = defineUpdate<OwnerReply, [ProcedureRequest]>('requestProcedure');
/** A procedure reports its end (and any follow-up it hands the stack to) to its owner. */
export const procedureEndedSignal = defineSignal<[ProcedureEnd]>('procedureEnded');
export const ownerStateQuery = defineQuery<OwnerState>('ownerState');
/** The hold's audience lifts a stack's hold (the owner's only update besides requests and triage's answers). */
export const liftHoldUpdate = defineUpdate<LiftedHold, [LiftHoldInput]>('liftHold');
