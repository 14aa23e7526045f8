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
import { holdSubject } from '../../domain/owner';
import type { LiftedHold, LiftHoldInput, OwnerReply, ProcedureOptions, ProcedureRequest } from '../../domain/owner';
import type { ProcedureInput } from '../../domain/procedure-types';
import {
  admit,
  admittedWhileHeld,
  busyMessage,
  type EndedProcedure,
  heldMessage,
  isHoldAudience,
  isOwnedProcedure,
  nextInQueue,
  type OwnedProcedure,
  recentMessage,
  type RunningProcedure,
  type StackHold,
} from '../../domain/ownership';
import type { ProcedureEnd } from '../../domain/procedure-types';
import { procedureStartMetadata, procedureWorkflowId } from '../../domain/workflow-ids';
import { liftHoldUpdate, preemptSignal } from '../definitions';
import { orchestration, ownerChecks } from '../activities';
import type { Procedure } from '../procedure-state';
import type { StackSettings } from './stack-settings';
import { messageOf } from '../steps/messages';
import { PROCEDURE_WORKFLOWS } from './procedure-workflows';

interface Queued {
  request: ProcedureRequest;
  workflowId: string;
  /** A hand-over from a failed procedure: it belongs to the stack as that one left it, so runs next or never. */
  handedOverBy?: string;
}

export interface OwnershipCarry {
  running?: RunningProcedure;
  lastEnded?: EndedProcedure;
  queue: Queued[];
  recent: [string, string][];
  started: string[];
  hold?: StackHold;
  lifted?: LiftedHold[];
}

const RECENT_KEYS = 200;
const QUEUE_LIMIT = 20;
const STARTED_KEPT = 50;
const LIFTED_KEPT = 20;

/** What the owner tells people when a request cannot run (a hold, a queue dropped by one). */
export type Notice = (message: string, hold?: StackHold) => void;

export class Ownership {
  running: RunningProcedure | undefined;
  /** True while `running` came from an earlier run: only its end signal (or a status check) frees the stack. */
  runningInherited: boolean;
  /** The stack is contained: nothing that changes its containers starts until the hold's audience lifts it. */
  hold: StackHold | undefined;
  /** The procedure that ended last: a relative rollback right after a completed change would go further. */
  private lastEnded: EndedProcedure | undefined;
  private readonly queue: Queued[];
  private readonly recent: Map<string, string>;
  private readonly started: string[];
  private readonly lifted: LiftedHold[];
  /** Starts not yet answered and hold records not yet written: the owner continues as new only with none. */
  private inFlight = 0;
  /** A fresh run first looks for procedures still running on the stack; requests wait for that. */
  private reconciled: Promise<void>;

  constructor(
    private readonly stack: StackSettings,
    private readonly p: Procedure,
    private readonly changed: () => void,
    private readonly notice: Notice,
    carry?: OwnershipCarry,
  ) {
    this.running = carry?.running;
    this.runningInherited = carry?.running !== undefined;
    this.lastEnded = carry?.lastEnded;
    this.queue = carry?.queue ?? [];
    this.recent = new Map(carry?.recent ?? []);
    this.started = carry?.started ?? [];
    this.hold = carry?.hold;
    this.lifted = carry?.lifted ?? [];
    this.reconciled = carry ? Promise.resolve() : this.adoptRunning();
  }

  get idle(): boolean {
    return this.inFlight === 0;
  }

  carry(): OwnershipCarry {
    return {
      running: this.running,
      lastEnded: this.lastEnded,
      queue: this.queue,
      recent: [...this.recent],
      started: this.started.slice(-STARTED_KEPT),
      hold: this.hold,
      lifted: this.lifted,
    };
  }

  view() {
    return {
      state: this.hold ? ('held' as const) : this.running ? ('running' as const) : ('free' as const),
      hold: this.hold,
      lifted: this.lifted,
      running: this.running,
      queued: this.queue.map((q) => ({
        workflowId: q.workflowId,
        procedure: q.request.procedure,
        requestedBy: q.request.args.requestedBy,
      })),
      started: this.started.slice(-STARTED_KEPT),
      lastEnded: this.lastEnded,
    };
  }

  /** Answers a request: start it, join the same earlier request, queue it, preempt a lower priority, or refuse. */
  async request(request: ProcedureRequest): Promise<OwnerReply> {
    await this.reconciled;
    const { procedure } = request;
    const known = request.requestKey ? this.recent.get(request.requestKey) : undefined;
    const admission = admit(
      { ...request, vouches: request.args.knownGood === true },
      this.running,
      known,
      { ended: this.lastEnded, nowMs: Date.now() },
      this.hold,
    );
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
      case 'held': {
        const hold = this.hold!;
        this.p.record(`refused ${procedure}`, `${request.args.requestedBy}: stack held by ${hold.workflowId}`);
        return reply('held', hold.workflowId, heldMessage(this.stack.name, hold), { hold });
      }
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
        if (this.queue.length >= QUEUE_LIMIT) {
          if (request.requestKey) this.recent.delete(request.requestKey);
          throw ApplicationFailure.create({
            message: `the queue of ${this.stack.name} is full (${QUEUE_LIMIT})`,
            type: 'QueueFull',
            nonRetryable: true,
          });
        }
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
        running.preemptedBy = { workflowId, procedure };
        await this.sendPreemption();
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

  /** Lifts the hold: an explicit decision of its audience, recorded here and in the holding procedure's report. */
  async lift(decision: LiftHoldInput): Promise<LiftedHold> {
    const hold = this.hold!;
    const how = await this.p.authenticate(
      await this.stack.current(),
      decision,
      hold.audience,
      holdSubject(hold),
      liftHoldUpdate.name,
    );
    // A failure the caller gets (a plain error would fail the owner's workflow task instead).
    if (this.hold !== hold)
      throw ApplicationFailure.create({
        message: 'the hold changed while this decision was checked; nothing was lifted',
        type: 'Refused',
        nonRetryable: true,
      });
    const { by, audience, reason } = decision;
    const lifted: LiftedHold = { hold, by, audience, reason, at: new Date().toISOString(), ...how };
    this.hold = undefined;
    this.lifted.push(lifted);
    if (this.lifted.length > LIFTED_KEPT) this.lifted.shift();
    const via = how.authenticated ? `via ${how.channel}` : 'unauthenticated';
    this.p.record(`hold lifted by ${decision.by} (${decision.audience}, ${via})`, decision.reason);
    this.changed();
    await this.recordHold();
    try {
      await orchestration.noteInIncidentReport(
        await this.stack.current(),
        lifted.hold.workflowId,
        `Hold lifted at ${lifted.at} by ${decision.by} for the ${decision.audience} (${via}): ${decision.reason}. Nothing was started by it.`,
      );
    } catch (err) {
      this.p.record('hold lift not written to the incident report', messageOf(err));
    }
    return lifted;
  }

  /** Why a lift is refused (no hold, not its audience, no reason); undefined when it may go ahead. */
  liftRefusal(decision: LiftHoldInput): string | undefined {
    if (!this.hold) return `stack ${this.stack.name} is not held`;
    if (!decision || typeof decision.by !== 'string' || !decision.by.trim()) return '"by" (who decides) is required';
    if (typeof decision.reason !== 'string' || !decision.reason.trim()) return 'a reason is required';
    if (typeof decision.audience !== 'string' || !isHoldAudience(this.hold, decision.audience))
      return `only the ${this.hold.audience} lifts this hold (set by ${this.hold.workflowId}: ${this.hold.reason})`;
    return undefined;
  }

  /** A procedure ended (by its own signal, its watched result, or a status check); the first report counts. */
  ended(end: ProcedureEnd): void {
    if (this.running?.workflowId !== end.workflowId) return;
    this.p.record(`${this.running.procedure} ${end.status}`, `${end.workflowId}${end.detail ? `: ${end.detail}` : ''}`);
    const { procedure, requestedBy, trigger } = this.running;
    const endedAt = new Date().toISOString();
    this.lastEnded = { workflowId: end.workflowId, procedure, requestedBy, trigger, status: end.status, endedAt };
    this.running = undefined;
    this.runningInherited = false;
    if (end.hold) {
      this.hold = { ...end.hold, procedure, workflowId: end.workflowId, since: endedAt };
      this.p.record(`stack held by ${end.workflowId}`, `${end.hold.reason}; lifted only by the ${end.hold.audience}`);
      void this.recordHold();
    }
    if (end.followUp) {
      // A new procedure: it reads the config as it is now, like any other. Queued first among its equals,
      // so a preemption that came meanwhile (a higher priority) still goes first.
      const args = { ...end.followUp.args, stack: { name: end.followUp.args.stack.name } };
      const request: ProcedureRequest = { procedure: end.followUp.procedure, args, whenBusy: 'refuse' };
      this.queue.unshift({ request, workflowId: end.followUp.workflowId, handedOverBy: end.workflowId });
    }
    this.startNext();
    this.changed();
  }

  /** Re-sends a preemption the running child has not acknowledged by ending (a signal can miss a child not yet started). */
  async sendPreemption(): Promise<void> {
    const running = this.running;
    if (!running?.preemptedBy) return;
    try {
      await getExternalWorkflowHandle(running.workflowId).signal(preemptSignal, {
        by: running.preemptedBy.workflowId,
        procedure: running.preemptedBy.procedure,
      });
    } catch (err) {
      this.p.record(
        'preemption not delivered yet',
        `${running.workflowId}: ${messageOf(err)}; sent again when it runs`,
      );
    }
  }

  private startNext(): void {
    const hold = this.hold;
    // A hold starts nothing it does not admit: what waited is refused, recorded and told to people, not lost.
    if (hold)
      this.drop(
        (q) => !admittedWhileHeld({ ...q.request, vouches: q.request.args.knownGood === true }, hold),
        heldMessage(this.stack.name, hold),
        hold,
      );
    const i = nextInQueue(this.queue.map((q) => q.request));
    if (i < 0) return;
    const [next] = this.queue.splice(i, 1);
    // A hand-over that did not run next would act on a stack another procedure has changed since.
    if (!next.handedOverBy)
      this.drop((q) => q.handedOverBy !== undefined, `${next.request.procedure} ${next.workflowId} ran first`);
    void this.startInBackground(next.request, next.workflowId);
  }

  /** Takes out of the queue what `which` picks: recorded and told to people, with why. */
  private drop(which: (q: Queued) => boolean, why: string, hold?: StackHold): void {
    for (const q of this.queue.filter(which)) {
      this.queue.splice(this.queue.indexOf(q), 1);
      if (q.request.requestKey) this.recent.delete(q.request.requestKey);
      this.p.record(`not started: ${q.request.procedure}`, `${q.workflowId}: ${why}`);
      this.notice(
        `${q.request.procedure} ${q.workflowId} requested by ${q.request.args.requestedBy} was not started: ${why}`,
        hold,
      );
    }
  }

  /** Writes the hold (or its absence) beside the releases, so a fresh owner run finds it. */
  private async recordHold(): Promise<void> {
    this.inFlight++;
    try {
      await ownerChecks.recordHold(await this.stack.current(), this.hold ?? null);
    } catch (err) {
      this.p.record('hold not recorded on disk', messageOf(err));
    } finally {
      this.inFlight--;
      this.changed();
    }
  }

  private async startInBackground(request: ProcedureRequest, workflowId: string): Promise<void> {
    try {
      await this.start(request, workflowId);
    } catch (err) {
      this.p.record(`could not start ${request.procedure}`, messageOf(err));
      this.notice(
        `${request.procedure} ${workflowId} for ${request.args.requestedBy} could not start: ${messageOf(err)}`,
      );
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
    this.inFlight++;
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
      // A preemption that came while the child was being started may have missed it.
      if (this.running?.workflowId === workflowId) await this.sendPreemption();
    } catch (err) {
      // Nothing runs under this ID (for example a stray workflow holds it): the stack is free again, and a
      // retry of the same request is a new request, not a join of this failed one.
      if (request.requestKey) this.recent.delete(request.requestKey);
      this.ended({ workflowId, status: 'failed', detail: `could not start: ${messageOf(err)}` });
      throw ApplicationFailure.create({
        message: `could not start ${procedure} as ${workflowId}: ${messageOf(err)}`,
        type: 'StartFailed',
        nonRetryable: true,
      });
    } finally {
      this.inFlight--;
      this.changed();
    }
  }

  /**
   * A fresh run (the owner was terminated, or is new) takes back the stack's recorded hold and adopts a
   * procedure still running on the stack, so it never starts a second one beside it; the periodic status
   * check frees the stack when that one ends.
   */
  private async adoptRunning(): Promise<void> {
    try {
      const recorded = await ownerChecks.readHold(await this.stack.current());
      if (recorded && !this.hold) {
        this.hold = recorded;
        this.p.record(`stack held by ${recorded.workflowId} (recorded)`, recorded.reason);
      }
    } catch (err) {
      this.p.record('could not read the recorded hold', messageOf(err));
    }
    try {
      const open = await ownerChecks.openProcedures(this.stack.name);
      const found = open.find((o) => isOwnedProcedure(o.procedure));
      if (!found || this.running) return;
      this.running = {
        workflowId: found.workflowId,
        procedure: found.procedure as OwnedProcedure,
        requestedBy: 'unknown (adopted)',
        trigger: 'unknown',
        startedAt: found.startedAt,
      };
      this.runningInherited = true;
      this.p.record('adopted a running procedure', found.workflowId);
      this.changed();
    } catch (err) {
      this.p.record('could not look for running procedures', messageOf(err));
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
    hold: details?.hold,
  };
}
