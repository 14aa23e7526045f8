/** The stack owner's vocabulary: requests to run a procedure, its replies and its queryable state. */
import type { Admission, EndedProcedure, OwnedProcedure, RunningProcedure, StackHold, WhenBusy } from './ownership';
import type { StackRef } from './config';
import type { DecisionChannel, ProcedureInput } from './procedure-types';

/** Inputs some procedures take besides the common ones. */
export interface ProcedureOptions {
  releaseId?: string;
  imageTag?: string;
  knownGood?: boolean;
  choiceTimeoutSeconds?: number;
  triedReleases?: string[];
}

export interface LiftedHold {
  hold: StackHold;
  by: string;
  audience: string;
  reason: string;
  at: string;
  /** How the decision came: through the API, authenticated; or straight to Temporal (while nobody holds the role). */
  channel: DecisionChannel;
  authenticated: boolean;
}

export interface ProcedureRequest {
  procedure: OwnedProcedure;
  /** The stack by name only: the owner reads its settings from the worker's config. */
  args: Omit<ProcedureInput, 'stack'> & ProcedureOptions & { stack: StackRef };
  /** A repeat of the same request (same key: an API retry's Idempotency-Key, the same alert) joins the first. */
  requestKey?: string;
  whenBusy: WhenBusy;
  /** Run even when it repeats a change that completed moments ago (see `recent`). */
  force?: boolean;
}

export interface OwnerReply {
  outcome: Exclude<Admission, 'preempting'>;
  /** The procedure that runs (or will run) this request; for `busy`, the one holding the stack. */
  workflowId: string;
  procedure: OwnedProcedure;
  running?: RunningProcedure;
  /** The lower-priority procedure this request stopped. */
  preempted?: string;
  /** For `recent`: the change that completed moments ago. */
  recent?: EndedProcedure;
  /** For `held`: the hold that refused it. */
  hold?: StackHold;
  message: string;
}

/** A decision to lift a stack's hold: who, for which group (the hold's audience), and why. */
export interface LiftHoldInput {
  by: string;
  audience: string;
  reason: string;
  /** The API's sealed proof that it authenticated `by` for this hold (src/codec/decision-passes.ts). */
  proof?: string;
}

/** What a proof to lift `hold` names as its question: this hold, and no later one. */
export const holdSubject = (hold: StackHold): string => `hold:${hold.since}`;

export interface OwnerState {
  stack: string;
  /** Free, running a procedure, or held (nothing may change its containers). */
  state: 'free' | 'running' | 'held';
  hold?: StackHold;
  /** Holds lifted, newest last: who lifted which, when, and why. */
  lifted: LiftedHold[];
  running?: RunningProcedure;
  queued: { workflowId: string; procedure: OwnedProcedure; requestedBy: string }[];
  alerts: { name: string; severity: string; startsAt: string; action?: string }[];
  started: string[];
  /** The procedure that ended last (a quick rollback right after a completed change is refused unless forced). */
  lastEnded?: EndedProcedure;
  deduplicated: number;
  awaitingApprovalFor?: string;
}
