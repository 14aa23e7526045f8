/**
 * Stack ownership: exactly one procedure that changes a stack runs at a time. Which request may start,
 * join, queue, preempt or must be refused is decided here, with no I/O, from the runbook's priorities.
 */
import type { HoldRequest, ProcedureEnd } from './procedure-types';
import type { ProcedureName } from './workflow-ids';

/** Higher preempts lower: security breach > data corruption > complete outage > rollback-failed > rollbacks and deploys > backup. */
const PRIORITY = {
  'security-breach': 6,
  'data-corruption': 5,
  'complete-service-outage': 4,
  'rollback-failed': 3,
  'quick-rollback': 2,
  'interactive-rollback': 2,
  'specific-version-rollback': 2,
  'container-rollback': 2,
  'blue-green-rollback': 2,
  'automatic-rollback': 2,
  backup: 1,
} as const satisfies Partial<Record<ProcedureName, number>>;

export type OwnedProcedure = keyof typeof PRIORITY;

export const OWNED_PROCEDURES = Object.keys(PRIORITY) as OwnedProcedure[];

export const isOwnedProcedure = (name: string): name is OwnedProcedure =>
  Object.prototype.hasOwnProperty.call(PRIORITY, name);

export const priorityOf = (name: OwnedProcedure): number => PRIORITY[name];

export type WhenBusy = 'refuse' | 'queue';

/**
 * What the owner tells whoever asked. `recent`: refused because a rollback completed moments ago and this
 * request's target is relative to what runs now, so it would roll back further than anyone decided.
 */
export type Admission = 'started' | 'joined' | 'queued' | 'busy' | 'preempting' | 'recent' | 'held';

/** A stack left contained by a procedure: who held it, why, since when, and who alone may lift it. */
export interface StackHold extends HoldRequest {
  procedure: OwnedProcedure;
  workflowId: string;
  since: string;
}

/**
 * What a held stack still admits: a backup that vouches for nothing (recording changes no container), and
 * a breach unless a breach holds it (containment comes first, and it starts nothing the security team has
 * not approved).
 */
export function admittedWhileHeld(request: { procedure: OwnedProcedure; vouches?: boolean }, hold: StackHold): boolean {
  if (request.procedure === 'backup') return !request.vouches;
  return request.procedure === 'security-breach' && hold.procedure !== 'security-breach';
}

export interface RunningProcedure {
  workflowId: string;
  procedure: OwnedProcedure;
  requestedBy: string;
  trigger: string;
  startedAt: string;
  requestKey?: string;
  /** A higher-priority request stopped it: state, so the stop is sent again until the child has it. */
  preemptedBy?: { workflowId: string; procedure: OwnedProcedure };
}

/** The last procedure that ended on the stack, as the owner remembers it. */
export interface EndedProcedure {
  workflowId: string;
  procedure: OwnedProcedure;
  requestedBy: string;
  trigger: string;
  status: ProcedureEnd['status'];
  endedAt: string;
}

/** How long after a completed change a relative rollback is refused unless forced. */
export const REPEAT_GUARD_SECONDS = 300;

/** Procedures whose target is relative to what runs now ("the newest good release before this one"). */
const RELATIVE_TARGET: ReadonlySet<OwnedProcedure> = new Set(['quick-rollback']);

/** Procedures that leave the stack on another release when they complete (a guarded deploy and a backup do not count). */
const CHANGES_RELEASE: ReadonlySet<OwnedProcedure> = new Set([
  'quick-rollback',
  'interactive-rollback',
  'specific-version-rollback',
  'container-rollback',
  'blue-green-rollback',
  'complete-service-outage',
  'rollback-failed',
  'data-corruption',
  'security-breach',
]);

/** Whether `request` would repeat, unforced, a change that completed less than REPEAT_GUARD_SECONDS before `nowMs`. */
export function repeatsRecentChange(
  request: { procedure: OwnedProcedure; force?: boolean },
  last: EndedProcedure | undefined,
  nowMs: number,
): boolean {
  return (
    !request.force &&
    RELATIVE_TARGET.has(request.procedure) &&
    last?.status === 'completed' &&
    CHANGES_RELEASE.has(last.procedure) &&
    nowMs - Date.parse(last.endedAt) < REPEAT_GUARD_SECONDS * 1000
  );
}

/**
 * The owner's answer to a new request while `running` holds the stack (undefined: the stack is free).
 * `knownWorkflowId` is the procedure an earlier request with the same key started, if the owner remembers it;
 * `last` is the procedure that ended most recently.
 */
export function admit(
  request: { procedure: OwnedProcedure; whenBusy: WhenBusy; force?: boolean; vouches?: boolean },
  running: RunningProcedure | undefined,
  knownWorkflowId: string | undefined,
  last?: { ended: EndedProcedure | undefined; nowMs: number },
  hold?: StackHold,
): Admission {
  if (knownWorkflowId) return 'joined';
  // No entry point, no priority and no --force gets past a hold: only its audience lifts it.
  if (hold && !admittedWhileHeld(request, hold)) return 'held';
  if (!running) return last && repeatsRecentChange(request, last.ended, last.nowMs) ? 'recent' : 'started';
  if (priorityOf(request.procedure) > priorityOf(running.procedure)) return 'preempting';
  return request.whenBusy === 'queue' ? 'queued' : 'busy';
}

/** The queued request that runs next: highest priority first, then first come. */
export function nextInQueue<T extends { procedure: OwnedProcedure }>(queue: T[]): number {
  let best = -1;
  queue.forEach((q, i) => {
    if (best < 0 || priorityOf(q.procedure) > priorityOf(queue[best].procedure)) best = i;
  });
  return best;
}

/** The message a refused request gets: who holds the stack, since when, and how to follow it. */
export function busyMessage(stack: string, running: RunningProcedure, step?: string): string {
  return (
    `stack ${stack} is busy: ${running.procedure} ${running.workflowId} started by ${running.requestedBy} (${running.trigger}) at ${running.startedAt}` +
    `${step ? `, now at "${step}"` : ''}. Follow it with: lifeline status ${running.workflowId}; ` +
    `or ask again with --queue to run after it`
  );
}

/** The message a request refused by a hold gets: which procedure held the stack, why, since when, and how it is lifted. */
export function heldMessage(stack: string, hold: StackHold): string {
  return (
    `stack ${stack} is held since ${hold.since} by ${hold.procedure} ${hold.workflowId}: ${hold.reason}. ` +
    `Nothing starts or changes its containers until the ${hold.audience} lifts the hold: ` +
    `lifeline lift ${stack} --audience "${hold.audience}" --reason <why> --as <name>`
  );
}

/** Whether `who` (as they name the group they decide for) is the hold's audience. */
export const isHoldAudience = (hold: StackHold, who: string): boolean =>
  who.trim().toLowerCase() === hold.audience.trim().toLowerCase();

/** The message a request refused as `recent` gets: what completed, when, by whom, and how to go on anyway. */
export function recentMessage(stack: string, last: EndedProcedure, nowMs: number): string {
  const ago = Math.max(0, Math.round((nowMs - Date.parse(last.endedAt)) / 1000));
  return (
    `stack ${stack} was changed ${ago} s ago: ${last.procedure} ${last.workflowId} requested by ${last.requestedBy} ` +
    `(${last.trigger}) completed at ${last.endedAt}. A quick rollback now would roll back further, past what it restored. ` +
    `Check it with: lifeline status ${last.workflowId}; to roll back further anyway, ask again with --force`
  );
}
