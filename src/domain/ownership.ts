/**
 * Stack ownership: exactly one procedure that changes a stack runs at a time. Which request may start,
 * join, queue, preempt or must be refused is decided here, with no I/O, from the runbook's priorities.
 */
import type { ProcedureName } from './procedures';

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

/** What the owner tells whoever asked. */
export type Admission = 'started' | 'joined' | 'queued' | 'busy' | 'preempting';

export interface RunningProcedure {
  workflowId: string;
  procedure: OwnedProcedure;
  requestedBy: string;
  trigger: string;
  startedAt: string;
  requestKey?: string;
}

/**
 * The owner's answer to a new request while `running` holds the stack (undefined: the stack is free).
 * `knownWorkflowId` is the procedure an earlier request with the same key started, if the owner remembers it.
 */
export function admit(
  request: { procedure: OwnedProcedure; whenBusy: WhenBusy },
  running: RunningProcedure | undefined,
  knownWorkflowId: string | undefined,
): Admission {
  if (knownWorkflowId) return 'joined';
  if (!running) return 'started';
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
