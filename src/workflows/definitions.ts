/** Every signal, query and update Lifeline's workflows understand. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Decision, DecisionInput, ProcedureProgress } from '../domain/procedure';
import type { AlertEvent } from '../domain/alerts';

export const progressQuery = defineQuery<ProcedureProgress>('progress');

export const acknowledgeUpdate = defineUpdate<Decision, [DecisionInput]>('acknowledge');
export const approveUpdate = defineUpdate<Decision, [DecisionInput]>('approve');
export const denyUpdate = defineUpdate<Decision, [DecisionInput]>('deny');
export const chooseReleaseUpdate = defineUpdate<Decision, [DecisionInput]>('chooseRelease');
export const confirmStepUpdate = defineUpdate<Decision, [DecisionInput]>('confirmStep');
export const abortUpdate = defineUpdate<Decision, [DecisionInput]>('abort');

export const alertSignal = defineSignal<[AlertEvent]>('alert');
