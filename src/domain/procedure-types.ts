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
  kind: DecisionKind;
  prompt: string;
  waitingFor: string;
  options?: string[];
  since: string;
}

export interface Decision {
  kind: DecisionKind | 'abort' | 'timeout';
  by: string;
  reason: string;
  at: string;
  approved?: boolean;
  releaseId?: string;
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
