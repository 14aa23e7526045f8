/**
 * The alert half of the stack owner: the runbook's decision matrix with timers. Alerts arrive as signals;
 * duplicates and late or out-of-order deliveries are dropped; each firing alert is judged on its own, so a
 * breach alert during a rollback still starts (and preempts) its procedure. State is bounded so the owner
 * can continue-as-new for months: seen keys, handled keys (pruned to active alerts) and active alerts.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { AlertEvent } from '../../domain/alerts';
import { dedupKey } from '../../domain/alerts';
import {
  actionAsksPerson,
  actionRollsBack,
  decide,
  MatrixAction,
  nextDecisionPointMs,
} from '../../domain/decision-matrix';
import type { ProcedureRequest } from '../../domain/owner';
import type { StackHold } from '../../domain/ownership';
import type { Procedure } from '../procedure-state';
import type { Ownership } from './ownership';
import { announce, page } from '../steps/announce';
import type { StackSettings } from './stack-settings';
import { messageOf } from '../steps/messages';

interface ActiveAlert {
  event: AlertEvent;
  action?: MatrixAction;
}

export interface TriageCarry {
  active: ActiveAlert[];
  seen: string[];
  handled: string[];
  deduplicated: number;
  /** A question to a person that was open at continue-as-new: asked again with what is left of its time. */
  approval?: { fingerprint: string; since: string };
  /** Firings that found the stack busy: judged again when it is free. */
  deferred?: string[];
}

const SEEN_LIMIT = 1000;
const ACTIVE_LIMIT = 200;
const SUMMARY_LIMIT = 500;

/** Identifies one firing of one alert: a re-fire after a resolve has a new startsAt. */
const firingKey = (e: AlertEvent) => `${e.fingerprint}|${e.startsAt}`;

export class AlertTriage {
  private readonly active: Map<string, ActiveAlert>;
  private readonly seen: Set<string>;
  private readonly handled: Set<string>;
  /** Firings whose procedure found the stack busy with an equal or higher priority: acted on once it is free. */
  private readonly deferred: Set<string>;
  private readonly inbox: AlertEvent[] = [];
  private readonly notices = new Set<Promise<void>>();
  private requestsInFlight = 0;
  private approval: { fingerprint: string; since: string; scope: CancellationScope } | undefined;
  private carriedApproval: TriageCarry['approval'];
  deduplicated: number;

  constructor(
    private readonly stack: StackSettings,
    private readonly approvalTimeoutSeconds: number,
    private readonly p: Procedure,
    private readonly owner: Ownership,
    private readonly changed: () => void,
    carry?: TriageCarry,
  ) {
    this.active = new Map((carry?.active ?? []).map((a) => [a.event.fingerprint, a]));
    this.seen = new Set(carry?.seen ?? []);
    this.handled = new Set(carry?.handled ?? []);
    this.deferred = new Set(carry?.deferred ?? []);
    this.deduplicated = carry?.deduplicated ?? 0;
    this.carriedApproval = carry?.approval;
  }

  get idle(): boolean {
    return this.inbox.length === 0 && this.notices.size === 0 && this.requestsInFlight === 0;
  }

  carry(): TriageCarry {
    const approval = this.approval ? { fingerprint: this.approval.fingerprint, since: this.approval.since } : undefined;
    return {
      active: [...this.active.values()],
      seen: [...this.seen],
      handled: [...this.handled],
      deduplicated: this.deduplicated,
      approval,
      deferred: [...this.deferred],
    };
  }

  view() {
    return {
      alerts: [...this.active.values()].map((a) => ({
        name: a.event.name,
        severity: a.event.severity,
        startsAt: a.event.startsAt,
        action: a.action,
      })),
      deduplicated: this.deduplicated,
      awaitingApprovalFor: this.approval && this.active.get(this.approval.fingerprint)?.event.name,
    };
  }

  receive(e: AlertEvent): void {
    this.inbox.push(e);
    this.changed();
  }

  /** Takes in what arrived, then applies the matrix; returns when the next timer-driven decision falls due. */
  evaluate(): number | undefined {
    while (this.inbox.length) this.take(this.inbox.shift()!);
    this.resumeCarriedApproval();
    let nextMs: number | undefined;
    for (const a of this.active.values()) {
      const key = firingKey(a.event);
      if (this.handled.has(key)) continue;
      const lasted = Date.now() - Date.parse(a.event.startsAt);
      const action = decide(a.event.severity, lasted);
      if (action !== a.action) {
        a.action = action;
        this.p.record(`${a.event.name}: ${action}`);
        // The decision never waits on a notification: it is sent alongside.
        if (action === 'monitor-closely')
          this.notify(`${a.event.name} (high): monitoring closely; rollback if it lasts over 5 minutes`);
      }
      if (actionRollsBack(action)) {
        // Waits while the stack is busy; the owner's change when it frees wakes this evaluation.
        if (!(this.deferred.has(key) && this.owner.running)) this.act(a);
      } else if (actionAsksPerson(action) && !this.approval)
        this.askPerson(a, this.approvalTimeoutSeconds, new Date().toISOString());
      const next = nextDecisionPointMs(a.event.severity, lasted);
      if (next !== undefined) nextMs = Math.min(nextMs ?? next, next);
    }
    return nextMs;
  }

  /** Waits for notifications still being sent (before a continue-as-new). */
  async settle(): Promise<void> {
    await Promise.all([...this.notices]);
  }

  private take(e: AlertEvent): void {
    const key = dedupKey(e);
    if (this.seen.has(key)) {
      this.deduplicated++;
      return;
    }
    this.remember(key);
    const fired = firingKey(e);
    if (e.status === 'resolved') {
      // Remember the resolve, so its own firing arriving late does nothing.
      this.remember(`${e.stack}|${e.fingerprint}|firing|${e.startsAt}`);
      const a = this.active.get(e.fingerprint);
      if (a && Date.parse(a.event.startsAt) <= Date.parse(e.startsAt)) {
        this.active.delete(e.fingerprint);
        this.handled.delete(fired);
        this.deferred.delete(fired);
        this.p.record(`${e.name} resolved`);
        if (this.approval?.fingerprint === e.fingerprint) this.approval.scope.cancel();
      }
      return;
    }
    const existing = this.active.get(e.fingerprint);
    if (existing && Date.parse(existing.event.startsAt) > Date.parse(e.startsAt)) return; // an older firing, delivered late
    if (!existing) this.p.record(`${e.name} firing (${e.severity})`, e.summary?.slice(0, SUMMARY_LIMIT));
    else this.handled.delete(firingKey(existing.event));
    this.active.set(e.fingerprint, { event: { ...e, summary: e.summary?.slice(0, SUMMARY_LIMIT) } });
    if (this.active.size > ACTIVE_LIMIT) {
      const [oldest] = this.active.keys();
      this.p.record('alert dropped: too many active alerts', this.active.get(oldest)?.event.name);
      this.handled.delete(firingKey(this.active.get(oldest)!.event));
      this.deferred.delete(firingKey(this.active.get(oldest)!.event));
      this.active.delete(oldest);
    }
  }

  private remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);
  }

  /** Asks the owner to run this alert's procedure; a running procedure of equal or higher priority covers it. */
  private act(a: ActiveAlert): void {
    const key = firingKey(a.event);
    this.handled.add(key);
    const e = a.event;
    const procedure = e.procedure ?? 'quick-rollback';
    const request: ProcedureRequest = {
      procedure,
      requestKey: `alert:${e.fingerprint}|${e.startsAt}`,
      whenBusy: 'refuse',
      args: {
        stack: { name: this.stack.name },
        trigger: 'alert',
        reason: `${e.name}${e.summary ? `: ${e.summary}` : ''}`,
        requestedBy: `${e.source} alert`,
        severity: e.severity,
      },
    };
    if (this.approval?.fingerprint === e.fingerprint) this.approval.scope.cancel();
    const wasDeferred = this.deferred.delete(key);
    this.requestsInFlight++;
    this.owner
      .request(request)
      .then(
        (reply) => {
          this.p.record(`${e.name}: ${procedure} ${reply.outcome}`, reply.workflowId);
          // No alert is dropped: it waits for the stack, or goes to people with the reason.
          if (reply.outcome === 'busy') {
            this.handled.delete(key);
            this.deferred.add(key);
            if (!wasDeferred)
              this.notify(
                `${e.name}: ${procedure} waits; ${reply.message}. It is judged again when the stack is free.`,
              );
          } else if (reply.outcome === 'recent') this.notify(`${e.name}: no ${procedure} started. ${reply.message}`);
          else if (reply.outcome === 'held')
            this.notify(`${e.name} (${e.severity}) fired; no ${procedure} started. ${reply.message}`, reply.hold);
        },
        (err) => {
          // Not retried in a loop: people are told why, and the next firing asks again.
          this.p.record(`${e.name}: ${procedure} could not start`, messageOf(err));
          this.notify(`${e.name} (${e.severity}): ${procedure} could not start: ${messageOf(err)}`);
        },
      )
      .finally(() => {
        this.requestsInFlight--;
        this.changed();
      });
  }

  /** Who is asked: the escalation path's levels in turn, as the worker's config has them. */
  private askPerson(a: ActiveAlert, timeoutSeconds: number, since: string): void {
    const scope = new CancellationScope();
    this.approval = { fingerprint: a.event.fingerprint, since, scope };
    const question = `${a.event.name} (${a.event.severity}) has lasted over 15 minutes: roll back ${this.stack.name}?`;
    scope
      .run(async () => {
        const stack = await this.stack.current().catch(() => undefined);
        if (stack) this.p.reachPeopleOf(stack);
        // Silence climbs the escalation path, level by level, and the last level is asked until it answers
        // (or the alert resolves): no question is dropped because nobody answered.
        const levels = stack?.escalation.map((l) => l.name) ?? ['on-call engineer'];
        let d = await this.p.ask('approval', question, levels[0], levels.length > 1 ? { timeoutSeconds } : {});
        for (const [i, level] of levels.slice(1).entries()) {
          if (d.kind !== 'timeout') break;
          const last = i === levels.length - 2;
          const asked = `${question} (nobody at ${levels[i]} answered)`;
          d = await this.p.ask('approval', asked, level, last ? {} : { timeoutSeconds });
        }
        return d;
      })
      .then((d) => {
        if (d.approved && this.active.has(a.event.fingerprint)) this.act(a);
        else this.handled.add(firingKey(a.event));
      })
      .catch((err) => {
        // The owner's loop never fails: a question that broke is recorded and asked again at the next firing.
        if (isCancellation(err)) this.p.record(`question about ${a.event.name} withdrawn`);
        else this.p.record(`question about ${a.event.name} failed`, messageOf(err));
      })
      .finally(async () => {
        if (this.approval?.scope === scope) this.approval = undefined;
        this.changed();
        await this.p.endPages();
      });
  }

  private resumeCarriedApproval(): void {
    const carried = this.carriedApproval;
    this.carriedApproval = undefined;
    const a = carried && this.active.get(carried.fingerprint);
    if (!carried || !a || this.handled.has(firingKey(a.event))) return;
    const left = Math.max(1, this.approvalTimeoutSeconds - Math.floor((Date.now() - Date.parse(carried.since)) / 1000));
    this.askPerson(a, left, carried.since);
  }

  /** Tells the stack's people; with a hold, its audience too, paged through their escalation level when it has one. */
  notify(message: string, hold?: StackHold): void {
    const sent = this.stack
      .current()
      .then(async (stack) => {
        const name = (hold?.pageLevel ?? hold?.audience)?.toLowerCase();
        const level = name ? stack.escalation.find((l) => l.name.toLowerCase() === name) : undefined;
        if (level?.contacts.length) {
          // The escalation path's own page: a page that fails is recorded by it.
          await page(this.p, stack, level, message);
          this.p.record(`${hold!.audience} told`, message);
          return;
        }
        const delivery = await announce(stack, 'triage', 'alert', message);
        if ('skipped' in delivery) this.p.record('notice not sent', delivery.skipped);
      })
      .catch((err) => this.p.record('notice not sent', messageOf(err)))
      .finally(() => {
        this.notices.delete(sent);
        this.changed();
      });
    this.notices.add(sent);
  }
}
