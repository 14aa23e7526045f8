/**
 * The mutex half of the stack owner: who holds the stack, who waits, who was joined. Procedures are its
 * children (parent close: abandon), so they outlive a continue-as-new; each reports its end by signal,
 * and within one run the child's result is watched too, so a terminated child still frees the stack.
 * Pattern: the entity/mutex workflow of temporalio/samples-typescript (mutex), reached by update-with-start.
 */
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  startChild,
  TerminatedFailure,
} from '@temporalio/workflow';
import type { OwnerReply, ProcedureOptions, ProcedureRequest } from '../../domain/owner';
import type { ProcedureInput } from '../../domain/procedure-types';
import {
  admit,
  busyMessage,
  type EndedProcedure,
  nextInQueue,
  recentMessage,
  type RunningProcedure,
} from '../../domain/ownership';
import type { ProcedureEnd } from '../../domain/procedure-types';
import { procedureStartMetadata, procedureWorkflowId } from '../../domain/workflow-ids';
import { preemptSignal } from '../definitions';
import type { Procedure } from '../procedure-state';
import type { StackSettings } from './stack-settings';
import { messageOf } from '../steps/messages';
import { PROCEDURE_WORKFLOWS } from './procedure-workflows';

interface Queued {
  request: ProcedureRequest;
  workflowId: string;
}

export interface OwnershipCarry {
  running?: RunningProcedure;
  lastEnded?: EndedProcedure;
  queue: Queued[];
  recent: [string, string][];
  started: string[];
}

const RECENT_KEYS = 200;
const QUEUE_LIMIT = 20;
const STARTED_KEPT = 50;

export class Ownership {
  running: RunningProcedure | undefined;
  /** True while `running` came from an earlier run: only its end signal (or a status check) frees the stack. */
  runningInherited: boolean;
  /** The procedure that ended last: a relative rollback right after a completed change would go further. */
  private lastEnded: EndedProcedure | undefined;
  private readonly queue: Queued[];
  private readonly recent: Map<string, string>;
  private readonly started: string[];

  constructor(
    private readonly stack: StackSettings,
    private readonly p: Procedure,
    private readonly changed: () => void,
    carry?: OwnershipCarry,
  ) {
    this.running = carry?.running;
    this.runningInherited = carry?.running !== undefined;
    this.lastEnded = carry?.lastEnded;
    this.queue = carry?.queue ?? [];
    this.recent = new Map(carry?.recent ?? []);
    this.started = carry?.started ?? [];
  }

  carry(): OwnershipCarry {
    return {
      running: this.running,
      lastEnded: this.lastEnded,
      queue: this.queue,
      recent: [...this.recent],
      started: this.started.slice(-STARTED_KEPT),
    };
  }

  view() {
    return {
      running: this.running,
      queued: this.queue.map((q) => ({
        workflowId: q.workflowId,
        procedure: q.request.procedure,
        requestedBy: q.request.args.requestedBy,
      })),
      started: this.started.slice(-STARTED_KEPT),
    };
  }

  /** Answers a request: start it, join the same earlier request, queue it, preempt a lower priority, or refuse. */
  async request(request: ProcedureRequest): Promise<OwnerReply> {
    const { procedure } = request;
    const known = request.requestKey ? this.recent.get(request.requestKey) : undefined;
    const admission = admit(request, this.running, known, { ended: this.lastEnded, nowMs: Date.now() });
    const reply = (
      outcome: OwnerReply['outcome'],
      workflowId: string,
      message: string,
      extra: Partial<OwnerReply> = {},
    ): OwnerReply => ({
      outcome,
      workflowId,
      procedure,
      message,
      ...extra,
    });
    switch (admission) {
      case 'joined':
        return reply('joined', known!, `the same request already runs as ${known}`);
      case 'busy': {
        const running = this.running!;
        this.p.record(`refused ${procedure}`, `${request.args.requestedBy}: stack busy with ${running.workflowId}`);
        return reply('busy', running.workflowId, busyMessage(this.stack.name, running), { running });
      }
      case 'recent': {
        const last = this.lastEnded!;
        this.p.record(
          `refused ${procedure}`,
          `${request.args.requestedBy}: ${last.procedure} ${last.workflowId} completed at ${last.endedAt}`,
        );
        return reply('recent', last.workflowId, recentMessage(this.stack.name, last, Date.now()), { recent: last });
      }
      case 'started': {
        const workflowId = this.assignId(request);
        await this.start(request, workflowId);
        return reply('started', workflowId, `${procedure} started as ${workflowId}`);
      }
      case 'queued':
      case 'preempting': {
        if (this.queue.length >= QUEUE_LIMIT)
          throw ApplicationFailure.create({
            message: `the queue of ${this.stack.name} is full (${QUEUE_LIMIT})`,
            type: 'QueueFull',
            nonRetryable: true,
          });
        const workflowId = this.assignId(request);
        this.queue.push({ request, workflowId });
        this.changed();
        const running = this.running!;
        if (admission === 'queued') {
          this.p.record(`queued ${procedure}`, `${workflowId} after ${running.workflowId}`);
          return reply(
            'queued',
            workflowId,
            `${procedure} queued as ${workflowId}; it starts when ${running.workflowId} ends`,
            { running },
          );
        }
        this.p.record(`${procedure} preempts ${running.procedure}`, `${workflowId} stops ${running.workflowId}`);
        await getExternalWorkflowHandle(running.workflowId).signal(preemptSignal, { by: workflowId, procedure });
        return reply(
          'started',
          workflowId,
          `${procedure} ${workflowId} preempts ${running.workflowId}; it starts as soon as that one has stopped`,
          {
            preempted: running.workflowId,
          },
        );
      }
    }
  }

  /** A procedure ended (by its own signal, its watched result, or a status check); the first report counts. */
  ended(end: ProcedureEnd): void {
    if (this.running?.workflowId !== end.workflowId) return;
    this.p.record(`${this.running.procedure} ${end.status}`, `${end.workflowId}${end.detail ? `: ${end.detail}` : ''}`);
    const { procedure, requestedBy, trigger } = this.running;
    this.lastEnded = {
      workflowId: end.workflowId,
      procedure,
      requestedBy,
      trigger,
      status: end.status,
      endedAt: new Date().toISOString(),
    };
    this.running = undefined;
    this.runningInherited = false;
    if (end.followUp) {
      // A new procedure: it reads the config as it is now, like any other.
      const args = { ...end.followUp.args, stack: { name: end.followUp.args.stack.name } };
      const request: ProcedureRequest = { procedure: end.followUp.procedure, args, whenBusy: 'refuse' };
      void this.startInBackground(request, end.followUp.workflowId);
    } else {
      this.startNext();
    }
    this.changed();
  }

  private startNext(): void {
    const i = nextInQueue(this.queue.map((q) => q.request));
    if (i < 0) return;
    const [next] = this.queue.splice(i, 1);
    void this.startInBackground(next.request, next.workflowId);
  }

  private async startInBackground(request: ProcedureRequest, workflowId: string): Promise<void> {
    try {
      await this.start(request, workflowId);
    } catch (err) {
      this.p.record(`could not start ${request.procedure}`, messageOf(err));
    }
  }

  /** Takes the stack (synchronously, before any await, so no other request can slip in) and starts the child. */
  private async start(request: ProcedureRequest, workflowId: string): Promise<void> {
    const { procedure, args } = request;
    this.running = {
      workflowId,
      procedure,
      requestedBy: args.requestedBy,
      trigger: args.trigger,
      startedAt: new Date().toISOString(),
      requestKey: request.requestKey,
    };
    this.runningInherited = false;
    if (request.requestKey) this.remember(request.requestKey, workflowId);
    this.started.push(workflowId);
    this.p.record(`starting ${procedure}`, `${workflowId} for ${args.requestedBy}: ${args.reason}`);
    this.changed();
    try {
      const stack = await this.stack.load(args.stack);
      const child = await startChild(
        PROCEDURE_WORKFLOWS[procedure] as (input: ProcedureInput & ProcedureOptions) => Promise<unknown>,
        {
          workflowId,
          args: [{ ...args, stack }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          ...procedureStartMetadata(procedure, args),
        },
      );
      child.result().then(
        () => this.ended({ workflowId, status: 'completed' }),
        (err) => this.ended(endFromFailure(workflowId, err)),
      );
    } catch (err) {
      // Nothing runs under this ID (for example a stray workflow holds it): the stack is free again.
      this.ended({ workflowId, status: 'failed', detail: `could not start: ${messageOf(err)}` });
      throw ApplicationFailure.create({
        message: `could not start ${procedure} as ${workflowId}: ${messageOf(err)}`,
        type: 'StartFailed',
        nonRetryable: true,
      });
    }
  }

  private remember(key: string, workflowId: string): void {
    this.recent.set(key, workflowId);
    if (this.recent.size > RECENT_KEYS) this.recent.delete(this.recent.keys().next().value as string);
  }

  /** Readable and unique: a second request of the same procedure in the same second gets a suffix. */
  private assignId(request: ProcedureRequest): string {
    const base = procedureWorkflowId(request.procedure, this.stack.name, new Date());
    const taken = new Set([...this.started, ...this.queue.map((q) => q.workflowId)]);
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    if (request.requestKey) this.remember(request.requestKey, id);
    return id;
  }
}

/** A child's failure as an end report; the failure's details carry any follow-up it handed over. */
function endFromFailure(workflowId: string, err: unknown): ProcedureEnd {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  if (cause instanceof TerminatedFailure) return { workflowId, status: 'failed', detail: 'terminated' };
  if (isCancellation(err)) return { workflowId, status: 'cancelled' };
  const details =
    cause instanceof ApplicationFailure ? (cause.details?.[0] as Partial<ProcedureEnd> | undefined) : undefined;
  return {
    workflowId,
    status: details?.status ?? 'failed',
    detail: (cause as Error | undefined)?.message,
    followUp: details?.followUp,
  };
}
