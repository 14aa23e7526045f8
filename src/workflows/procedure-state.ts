/**
 * Workflow-side state every procedure shares: current step, checklist, timeline and the decision
 * it waits for. Queries read it; updates answer it; the Web UI shows it as current details.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ChecklistItem, ItemState, mark, newChecklist, renderChecklist } from '../domain/checklist';
import type {
  Decision,
  DecisionChannel,
  DecisionInput,
  HoldRequest,
  DecisionKind,
  PendingDecision,
  ProcedureEnd,
  ProcedureProgress,
  ReleaseOption,
} from '../domain/procedure-types';
import type { ReleaseSummary } from '../domain/release';
import type { DecisionPass } from '../codec/decision-passes';
import { mayAnswer, roleRequired } from '../domain/audiences';
import { decisionChecks } from './activities';
import { messageOf } from './steps/messages';
import { SA } from '../domain/search-attributes';
import { setCurrentStep } from './step-summaries';
import { PeopleReach } from './steps/ask-people';
import type { ResolvedStack } from '../domain/config';
import {
  abortUpdate,
  acknowledgeUpdate,
  preemptSignal,
  approveUpdate,
  chooseReleaseUpdate,
  confirmStepUpdate,
  denyUpdate,
  progressQuery,
} from './definitions';

const now = () => new Date().toISOString(); // deterministic inside workflows: the SDK fixes Date to workflow time

/** Why a procedure stopped before its end: a person's abort, a higher-priority procedure, or a cancel (Web UI). */
export type StopReason =
  { kind: 'aborted'; by: string; reason: string } | { kind: 'preempted'; by: string; procedure: string };

/**
 * A procedure's state and its message handlers. The handlers are registered here, in the constructor,
 * so every procedure answers the same queries and updates (see definitions.ts for the list).
 */
export class Procedure {
  readonly state: ProcedureProgress;
  /** Error lines of the version being replaced, kept for the incident report before its containers go. */
  errorLines: { service: string; line: string }[] = [];
  /** Set when the post-rollback actions (a verified rollback) will write the incident report instead. */
  reportFollows = false;
  /** Set once the procedure has changed the stack: from then on any failure escalates. */
  stackChanged = false;
  /** Abort and preemption cancel it, which interrupts the current step (a wait for people is replaced by its own). */
  scope = new CancellationScope();
  stopReason: StopReason | undefined;
  /** The procedure this one hands the stack to when it ends (set by a failed rollback). */
  followUp: ProcedureEnd['followUp'];
  /** The fingerprint of the state this procedure moved away from (recorded as rolled back from at the swap). */
  leftState: string | undefined;
  /** Set while the stack is contained by this procedure: its end leaves the stack held in the owner. */
  hold: HoldRequest | undefined;
  /** The recorded releases this procedure restored, newest attempt first: a hand-over tells rollback-failed. */
  readonly triedReleases: string[] = [];
  /** Inside a destructive stretch (a swap, a restore) a stop waits for its end instead of interrupting it. */
  private shieldDepth = 0;
  /** The answer to the question now asked (cleared by each new question): what `ask` waits for. */
  private answer: Decision | undefined;
  /** The last answer and the question it answered, kept so a second answer is told who answered. */
  private lastAnswered: { decision: Decision; question: PendingDecision | undefined } | undefined;
  private aborted: Decision | undefined;
  private readonly timelineLimit: number | undefined;
  /** Who hears this procedure's questions (none: they are only recorded and shown). */
  private people: PeopleReach | undefined;
  /** Questions asked so far, numbering each. */
  private questions = 0;
  /** The nonces of the links and proofs that carried decisions: each is good once. */
  private readonly usedPasses = new Set<string>();

  /** `abortable: false` for the stack owner, which is not a procedure and is never aborted as one. */
  constructor(procedure: string, stack: string, opts: { timelineLimit?: number; abortable?: boolean } = {}) {
    this.timelineLimit = opts.timelineLimit;
    this.state = {
      procedure,
      stack,
      status: 'running',
      step: 'starting',
      startedAt: now(),
      checklist: newChecklist(),
      timeline: [],
      decisions: [],
    };
    setHandler(progressQuery, () => this.state);
    this.answerWith(acknowledgeUpdate, 'ack');
    this.answerWith(approveUpdate, 'approval', true);
    this.answerWith(denyUpdate, 'approval', false);
    this.answerWith(chooseReleaseUpdate, 'choose-release');
    this.answerWith(confirmStepUpdate, 'confirm-step');
    if (opts.abortable === false) return;
    setHandler(
      abortUpdate,
      (input) => {
        this.aborted = { kind: 'abort', by: input.by, reason: input.reason ?? '', at: now() };
        this.state.decisions.push(this.aborted);
        this.stop({ kind: 'aborted', by: input.by, reason: input.reason ?? '' });
        return this.aborted;
      },
      {
        validator: (input) => {
          validatePerson(input, true);
          if (this.aborted) throw new Error(`already aborted by ${this.aborted.by} at ${this.aborted.at}`);
          if (this.isEnded) throw new Error(`the procedure has already ended (${this.state.status})`);
          if (this.stopReason)
            throw new Error(`already stopping: preempted by ${this.stopReason.by}; nothing further to abort`);
        },
      },
    );
    setHandler(preemptSignal, ({ by, procedure: higher }) => this.stop({ kind: 'preempted', by, procedure: higher }));
  }

  /**
   * Runs a procedure that no owner wraps (escalation on its own) in its scope: an abort ends it as
   * failed with type Aborted, at the step it interrupted.
   */
  async runAbortable<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await this.scope.run(body);
    } catch (err) {
      if (!this.stopReason || !isCancellation(err)) throw err;
      const why =
        this.stopReason.kind === 'aborted'
          ? `aborted by ${this.stopReason.by}: ${this.stopReason.reason}`
          : 'preempted';
      this.finish('aborted', why);
      throw ApplicationFailure.create({ message: why, type: 'Aborted', nonRetryable: true });
    }
  }

  private get isEnded(): boolean {
    return ['completed', 'failed', 'aborted', 'cancelled', 'preempted'].includes(this.state.status);
  }

  /** Stops the procedure at its current step; the first reason counts. */
  private stop(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.record(
      reason.kind === 'aborted' ? `abort requested by ${reason.by}` : `preempted by ${reason.by} (${reason.procedure})`,
      reason.kind === 'aborted' ? reason.reason : undefined,
    );
    if (this.shieldDepth)
      this.record(`stopping after "${this.state.step}" ends`, 'a destructive step is never cut short');
    this.scope.cancel();
  }

  /**
   * A destructive stretch (the swap, a restore): once begun, an abort, a preemption or a cancel waits for its
   * end and takes effect at the next step, so what ran before is never left half-replaced.
   */
  async shielded<T>(fn: () => Promise<T>): Promise<T> {
    if (this.scope.consideredCancelled) await this.scope.cancelRequested;
    this.shieldDepth++;
    try {
      return await CancellationScope.nonCancellable(fn);
    } finally {
      this.shieldDepth--;
    }
  }

  markChanged(): void {
    this.stackChanged = true;
  }

  private answerWith(update: typeof approveUpdate, kind: DecisionKind, approved?: boolean): void {
    setHandler(
      update,
      async (input) => {
        const question = this.state.pending!; // the validator made sure one of this kind waits
        let pass: DecisionPass | undefined;
        if (input.proof) {
          if (!this.people) throw refused('this procedure takes no authenticated decisions');
          pass = await this.openProof(this.people.stack, input, question.id, update.name);
          // Good once, even if refused below; and the question may have moved on while the proof was checked.
          this.spend(pass);
          if (this.state.pending?.id !== question.id)
            throw refused('the question was closed while this answer was checked');
          this.refuseUnlessOpen(update.name, kind, input, approved);
        }
        const decision: Decision = {
          kind,
          by: input.by,
          reason: input.reason ?? '',
          at: now(),
          approved,
          releaseId: input.releaseId,
          channel: pass?.via ?? 'temporal',
          authenticated: pass !== undefined,
        };
        this.state.decisions.push(decision);
        const needed = question.approvalsNeeded ?? 1;
        if (approved && needed > 1) {
          question.approvedBy = [...(question.approvedBy ?? []), input.by];
          question.approvedRelease ??= input.releaseId ?? question.options?.[0];
          if (question.approvedBy.length < needed) {
            this.record(`approval ${question.approvedBy.length} of ${needed} by ${input.by}`, decision.reason);
            return decision;
          }
        }
        this.answer = decision;
        this.lastAnswered = { decision, question };
        return decision;
      },
      { validator: (input) => this.refuseUnlessOpen(update.name, kind, input, approved) },
    );
  }

  /** Throws why `input` cannot answer now: nothing of its kind waits, it was answered, or its person may not. */
  private refuseUnlessOpen(name: string, kind: DecisionKind, input: DecisionInput, approved?: boolean): void {
    validatePerson(input, kind === 'approval');
    const pending = this.state.pending;
    // Two answers to one question: the second is told who answered, whether it arrives in the same
    // activation (the question still pending) or after the procedure has moved on (nothing pending).
    const last = this.lastAnswered;
    const answered = last?.question;
    const newQuestionOfThisKind = pending !== undefined && pending !== answered && pending.kind === kind;
    if (last && answered?.kind === kind && !newQuestionOfThisKind) {
      const { by, at, kind: answeredKind, approved: wasApproved } = last.decision;
      throw new Error(
        `already answered by ${by} at ${at} (${answeredKind}${wasApproved === false ? ', denied' : ''})` +
          (pending && pending !== answered ? `; now waiting for ${pending.kind}` : ''),
      );
    }
    if (!pending || pending.kind !== kind) {
      throw new Error(
        `nothing is waiting for ${name}; ${pending ? `waiting for ${pending.kind}` : 'no decision is pending'}`,
      );
    }
    const offered = pending.options ?? [];
    if ((kind === 'choose-release' || input.releaseId !== undefined) && !offered.includes(input.releaseId ?? '')) {
      throw new Error(
        `release ${JSON.stringify(input.releaseId)} is not one of: ${offered.join(', ') || '(none offered)'}`,
      );
    }
    if (approved && pending.approvedBy?.includes(input.by))
      throw new Error(`${input.by} has approved already; the next approval must come from someone else`);
    // Every approval of a two-person decision is for the same release: the first one's.
    const release = input.releaseId ?? pending.options?.[0];
    if (approved && pending.approvedRelease !== undefined && release !== pending.approvedRelease)
      throw new Error(
        `${pending.approvedBy?.join(', ')} approved release ${pending.approvedRelease}; a second approval must be for it too`,
      );
    const people = this.people?.people ?? [];
    if (!roleRequired(people, pending.waitingFor)) return;
    // Someone holds the role: only they may answer, and only as the API vouches for them.
    if (!input.proof)
      throw new Error(
        `the ${pending.waitingFor} must answer this with an authenticated decision: the link they were sent, or ` +
          'the API with a personal token (lifeline with LIFELINE_API_URL); a decision sent straight to Temporal names nobody for sure',
      );
    if (!mayAnswer(people, pending.waitingFor, input.by))
      throw new Error(`${input.by} does not hold the role "${pending.waitingFor}" this question is for`);
  }

  /**
   * A decision no question asked for (lifting a hold), by `role` about `subject`: once someone holds the role,
   * only their authenticated decision counts, as for a question. Returns how it came.
   */
  async authenticate(
    stack: ResolvedStack,
    input: DecisionInput,
    role: string,
    subject: string,
    action: string,
  ): Promise<{ channel: DecisionChannel; authenticated: boolean }> {
    const required = roleRequired(stack.people, role);
    if (!input.proof) {
      if (required)
        throw refused(
          `the ${role} must decide this with an authenticated decision: the API with a personal token ` +
            '(lifeline with LIFELINE_API_URL); a decision sent straight to Temporal names nobody for sure',
        );
      return { channel: 'temporal', authenticated: false };
    }
    const pass = this.spend(await this.openProof(stack, input, subject, action));
    // As for a question: while nobody holds the role, the API's word for who decided is enough.
    if (required && !mayAnswer(stack.people, role, input.by))
      throw refused(`${input.by} does not hold the role "${role}"`);
    return { channel: pass.via, authenticated: true };
  }

  /** A link or proof is good once: its nonce is spent here, even when the decision is refused after. */
  private spend(pass: DecisionPass): DecisionPass {
    if (this.usedPasses.has(pass.nonce)) throw refused('this link was already used');
    this.usedPasses.add(pass.nonce);
    return pass;
  }

  /** The API's proof for `input`, checked by this worker's decision key: for this question and this person. */
  private async openProof(
    stack: ResolvedStack,
    input: DecisionInput,
    questionId: string,
    action: string,
  ): Promise<DecisionPass> {
    let pass: DecisionPass;
    try {
      pass = await decisionChecks.openDecisionProof(stack, input.proof!);
    } catch (err) {
      throw refused(messageOf(err));
    }
    if (pass.questionId !== questionId) throw refused('the link is for an earlier question, which is closed');
    if (pass.person !== input.by) throw refused(`the proof names ${pass.person}, not ${input.by}`);
    // What the person chose is sealed too: a proof read from a history cannot carry another answer.
    if (pass.action !== action || (pass.releaseId ?? undefined) !== input.releaseId)
      throw refused('the proof was made for another answer');
    return pass;
  }

  /** Runs one named step of the procedure, recording it in the timeline. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    // A stopped procedure starts no further step: the report names the step it was stopped in.
    if (!this.shieldDepth && this.scope.consideredCancelled) await this.scope.cancelRequested;
    this.state.step = name;
    this.record(name);
    const parent = setCurrentStep(name);
    try {
      return await fn();
    } finally {
      setCurrentStep(parent);
    }
  }

  record(step: string, detail?: string): void {
    this.state.timeline.push({ at: now(), step, detail });
    if (this.timelineLimit && this.state.timeline.length > this.timelineLimit) this.state.timeline.shift();
    this.publish();
  }

  tick(item: ChecklistItem, state: ItemState = 'done', note?: string): void {
    mark(this.state.checklist, item, state, note);
    this.publish();
  }

  setReleases(from?: string, to?: string): void {
    if (from) this.state.fromRelease = from;
    if (to) this.state.toRelease = to;
    upsertSearchAttributes([
      ...(from ? [{ key: SA.fromRelease, value: from }] : []),
      ...(to ? [{ key: SA.toRelease, value: to }] : []),
    ]);
  }

  setEscalationLevel(level: number): void {
    this.state.escalationLevel = level;
    upsertSearchAttributes([{ key: SA.escalationLevel, value: level }]);
    this.publish();
  }

  /**
   * Waits for a person. Resolves with their decision, or a 'timeout' decision when `timeoutSeconds`
   * passes first (undefined waits for ever). An abort ends the wait and the procedure.
   */
  async ask(
    kind: DecisionKind,
    prompt: string,
    waitingFor: string,
    opts: { options?: string[]; releases?: ReleaseSummary[]; timeoutSeconds?: number; approvals?: number } = {},
  ): Promise<Decision> {
    const since = Date.now();
    const pending: PendingDecision = {
      // The run's own random tail: a link to a question of an earlier run (continue-as-new) answers nothing here.
      id: `${++this.questions}.${workflowInfo().runId.replace(/-/g, '').slice(-16)}`,
      kind,
      prompt,
      waitingFor,
      options: opts.releases?.map((r) => r.id) ?? opts.options,
      releases: opts.releases?.slice(0, MAX_RELEASE_DETAILS).map(releaseOption),
      since: new Date(since).toISOString(),
      expiresAt:
        opts.timeoutSeconds === undefined ? undefined : new Date(since + opts.timeoutSeconds * 1000).toISOString(),
      approvalsNeeded: opts.approvals && opts.approvals > 1 ? opts.approvals : undefined,
    };
    this.answer = undefined;
    this.state.pending = pending;
    this.state.status = 'waiting';
    this.state.step = `waiting for ${waitingFor}`;
    upsertSearchAttributes([{ key: SA.waitingFor, value: waitingFor }]);
    this.record(`waiting for ${waitingFor}`, prompt);
    await this.people?.asked(this.state.procedure, pending, this.state.timeline);
    const timeout = opts.timeoutSeconds === undefined ? undefined : opts.timeoutSeconds * 1000;
    // An abort ends the wait through the cancelled scope.
    const settled = () => this.answer !== undefined;
    let answered = true;
    try {
      if (timeout === undefined) await condition(settled);
      else answered = await condition(settled, timeout);
    } finally {
      // Also on cancellation: a withdrawn question is no longer pending.
      this.state.pending = undefined;
      this.state.status = 'running';
      upsertSearchAttributes([{ key: SA.waitingFor, value: null }]);
    }
    const answer = this.answer as Decision | undefined; // set by an update handler while we waited
    if (!answered || !answer) {
      const t: Decision = {
        kind: 'timeout',
        by: 'lifeline',
        reason: `no answer from ${waitingFor} in ${opts.timeoutSeconds}s`,
        at: now(),
      };
      this.state.decisions.push(t);
      this.record('decision timed out', t.reason);
      return t;
    }
    const how = answer.authenticated ? ` (${answer.channel})` : ' (unauthenticated)';
    this.record(`${answer.kind}${answer.approved === false ? ' (denied)' : ''} by ${answer.by}${how}`, answer.reason);
    await this.people?.answered();
    return answer;
  }

  /** From now on, every question is pushed to the people of `stack` who hold its role. */
  reachPeopleOf(stack: ResolvedStack): void {
    this.people = new PeopleReach(stack, (step, detail) => this.record(step, detail));
  }

  /** The procedure is over: a page its questions opened is resolved. */
  async endPages(): Promise<void> {
    await this.people?.ended();
  }

  finish(status: ProcedureProgress['status'], detail?: string): void {
    this.state.status = status;
    this.state.step = status;
    this.record(status, detail);
  }

  /** Fails the workflow with the procedure's own words, marking it failed first. */
  fail(message: string, type = 'ProcedureFailed'): never {
    this.finish('failed', message);
    throw ApplicationFailure.create({ message, type, nonRetryable: true });
  }

  private publish(): void {
    const s = this.state;
    const waiting = s.pending ? `\n\nWaiting for **${s.pending.waitingFor}**: ${s.pending.prompt}` : '';
    setCurrentDetails(
      `**${s.procedure}** on \`${s.stack}\`: ${s.step}${waiting}\n\n\`\`\`\n${renderChecklist(s.checklist)}\n\`\`\``,
    );
  }
}

const refused = (message: string) => ApplicationFailure.create({ message, type: 'Refused', nonRetryable: true });

/** Release details shown on the decision page, at most this many (the IDs are all offered). */
const MAX_RELEASE_DETAILS = 50;

const releaseOption = (r: ReleaseSummary): ReleaseOption => ({
  id: r.id,
  createdAt: r.createdAt,
  reason: r.reason,
  imageTags: r.imageTags,
  knownGood: r.knownGood,
});

function validatePerson(input: DecisionInput, reasonRequired: boolean): void {
  if (!input || typeof input.by !== 'string' || !input.by.trim()) throw new Error('"by" (who decides) is required');
  if (reasonRequired && (typeof input.reason !== 'string' || !input.reason.trim()))
    throw new Error('a reason is required');
}

/**
 * Idempotency key for a step that records something: the same within a run (so a retried activity finds
 * what it already wrote), different across runs that reuse a workflow ID.
 */
export const requestKey = (step: string): string => `${workflowInfo().workflowId}/${workflowInfo().runId}:${step}`;
