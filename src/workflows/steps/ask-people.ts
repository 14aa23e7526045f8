/**
 * A procedure's questions pushed to the people who may answer them: everyone holding the question's role
 * hears what is asked, the options, what happened so far and how to answer. A page opened for a question is
 * acknowledged when someone answers and resolved when the procedure ends. A channel that failed is recorded
 * in the timeline (and so in the incident report); it never stops the procedure.
 */
import { CancellationScope, workflowInfo } from '@temporalio/workflow';
import type { ResolvedStack } from '../../domain/config';
import { NOTICE_NOT_SENT, type TimelineEntry } from '../../domain/incident';
import { peopleIn } from '../../domain/audiences';
import type { DecisionKind, PendingDecision } from '../../domain/procedure-types';
import { orchestration } from '../activities';
import { messageOf } from './messages';

/** The CLI command that answers a question of this kind (placeholders in capitals: Slack reads <...> as links). */
const ANSWER: Record<DecisionKind, string> = {
  ack: 'lifeline ack ID --as NAME',
  approval: 'lifeline approve ID --as NAME --reason WHY  (or: lifeline deny ...)',
  'choose-release': 'lifeline choose ID RELEASE-ID --as NAME',
  'confirm-step': 'lifeline confirm ID --as NAME',
};

/** What the people hear of the procedure so far: its last steps. */
const EVIDENCE_STEPS = 8;
/** Options listed in a message (the release IDs offered): the rest are in `lifeline status`. */
const MAX_OPTIONS = 200;

export class PeopleReach {
  private paged = false;

  constructor(
    readonly stack: ResolvedStack,
    private readonly note: (step: string, detail: string) => void,
  ) {}

  get people() {
    return this.stack.people;
  }

  /** Tells the question's audience, if anyone holds that role; a page it opens stays open until answered or ended. */
  async asked(procedure: string, q: PendingDecision, timeline: readonly TimelineEntry[]): Promise<void> {
    const people = peopleIn(this.stack.people, q.waitingFor);
    const level = this.stack.escalation.find((l) => l.name === q.waitingFor);
    if (people.length === 0 && !(q.kind !== 'ack' && level?.contacts.length)) return;
    // Resolved at the end even if the send is cut short: a page PagerDuty got is never left open.
    this.paged ||= people.some((p) => p.channels.some((c) => c.kind === 'pagerduty'));
    const { workflowId } = workflowInfo();
    try {
      // Let finish even when the procedure is stopped meanwhile: what was sent is then known and settled.
      const sent = await CancellationScope.nonCancellable(() =>
        orchestration.askPeople(this.stack, {
          workflowId,
          kind: q.kind,
          procedure,
          audience: q.waitingFor,
          prompt: q.prompt,
          options: q.options?.slice(0, MAX_OPTIONS),
          evidence: timeline.slice(-EVIDENCE_STEPS).map((t) => (t.detail ? `${t.step}: ${t.detail}` : t.step)),
          answerWith: ANSWER[q.kind].replace('ID', workflowId),
          questionId: q.id,
          expiresAt: q.expiresAt,
        }),
      );
      if (sent.reached.length) this.note(`asked ${q.waitingFor}`, `reached ${sent.reached.join(', ')}`);
      for (const f of sent.failed) this.note(NOTICE_NOT_SENT, `question to ${q.waitingFor}: ${f}`);
    } catch (err) {
      this.note(NOTICE_NOT_SENT, `question to ${q.waitingFor}: ${messageOf(err)}`);
    }
  }

  /** Someone answered: the page is acknowledged (it stays open until the procedure ends). */
  answered(): Promise<void> {
    return this.settle('acknowledge');
  }

  /** The procedure ended: its page, if any, is resolved. */
  async ended(): Promise<void> {
    await this.settle('resolve');
    this.paged = false;
  }

  private async settle(action: 'acknowledge' | 'resolve'): Promise<void> {
    if (!this.paged) return;
    try {
      const failed = await orchestration.settlePages(this.stack, workflowInfo().workflowId, action);
      for (const f of failed) this.note(NOTICE_NOT_SENT, f);
    } catch (err) {
      this.note(NOTICE_NOT_SENT, `${action} the page: ${messageOf(err)}`);
    }
  }
}
