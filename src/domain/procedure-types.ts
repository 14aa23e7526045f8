/** Shared vocabulary of procedures: inputs, progress and people's decisions. */
import type { ChecklistEntry } from './checklist';
import type { ResolvedStack } from './config';
import type { Severity } from './decision-matrix';
import type { TimelineEntry } from './incident';

export type Trigger = 'cli' | 'alert' | 'api';

export interface ProcedureInput {
  stack: ResolvedStack;
  trigger: Trigger;
  reason: string;
  requestedBy: string;
  severity?: Severity;
}

export type DecisionKind = 'ack' | 'approval' | 'choose-release' | 'confirm-step';

export interface PendingDecision {
  /** Unique to this question (across runs of one workflow ID): a decision link answers this question only. */
  id: string;
  kind: DecisionKind;
  prompt: string;
  waitingFor: string;
  options?: string[];
  /** What a person sees of each release offered, on the decision page. */
  releases?: ReleaseOption[];
  since: string;
  /** When an unanswered question times out (none: it waits for ever). */
  expiresAt?: string;
  /** Different people who must approve (two for a decision the config names); one when unset. */
  approvalsNeeded?: number;
  /** Who approved so far, while more approvals are needed. */
  approvedBy?: string[];
  /** The release the first of several approvals was for: the others must name it too. */
  approvedRelease?: string;
}

export interface ReleaseOption {
  id: string;
  createdAt: string;
  reason: string;
  imageTags: Record<string, string>;
  knownGood: boolean;
}

/** How a decision reached Lifeline: a personal link, the API with a personal token, or straight to Temporal. */
export type DecisionChannel = 'link' | 'api' | 'temporal';

export interface Decision {
  kind: DecisionKind | 'abort' | 'timeout';
  by: string;
  reason: string;
  at: string;
  approved?: boolean;
  releaseId?: string;
  /** How it arrived; `authenticated` when the API vouched for the person (a link or a personal token). */
  channel?: DecisionChannel;
  authenticated?: boolean;
}

export interface ProcedureProgress {
  procedure: string;
  stack: string;
  status: 'running' | 'waiting' | 'completed' | 'failed' | 'aborted' | 'cancelled' | 'preempted';
  step: string;
  startedAt: string;
  checklist: ChecklistEntry[];
  timeline: TimelineEntry[];
  pending?: PendingDecision;
  decisions: Decision[];
  escalationLevel?: number;
  fromRelease?: string;
  toRelease?: string;
}

/** A monitoring window in progress (verification's, post-rollback's): what the CLI counts down. */
export interface MonitoringWindow {
  name: string;
  seconds: number;
  endsAt: string;
  samples: number;
  failures: number;
}

/** A person's answer as sent through an update. */
export interface DecisionInput {
  by: string;
  reason?: string;
  releaseId?: string;
  /** The API's sealed proof that it authenticated `by` for this question (src/codec/decision-passes.ts). */
  proof?: string;
}

/** How a procedure ended, as it reports to the stack owner. */
export interface ProcedureEnd {
  workflowId: string;
  status: ProcedureProgress['status'];
  detail?: string;
  /** The procedure the stack is handed to, with no gap (a failed rollback hands over to rollback-failed). */
  followUp?: { procedure: 'rollback-failed'; workflowId: string; args: ProcedureInput & RollbackFailedHandOver };
  /** The stack is left held: nothing may start or change its containers until the hold's audience lifts it. */
  hold?: HoldRequest;
}

/** What a procedure that leaves its stack contained says about the hold. */
export interface HoldRequest {
  reason: string;
  /** Who alone may lift it (the security team for a breach). */
  audience: string;
  /** The escalation level through which the audience is paged, when it is not the audience's own name. */
  pageLevel?: string;
}

/** What a failed rollback hands to rollback-failed: the releases it restored, and the state it left. */
export interface RollbackFailedHandOver {
  triedReleases: string[];
  /** The failed procedure's workflow ID: a known-bad mark it made does not stop the force restart. */
  handedOverBy?: string;
  /** The fingerprint of the state the failed procedure moved away from: never restored again automatically. */
  leaving?: string;
}
