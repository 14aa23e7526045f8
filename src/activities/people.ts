/**
 * Questions pushed to the people who may answer them, on every channel each has: Slack, a JSON webhook,
 * PagerDuty (Events API v2: trigger while a question waits, acknowledge once answered, resolve when the
 * procedure ends, all under one dedup key per procedure). A channel that fails is reported, never retried
 * here: a retry would page everyone else twice.
 */
import type { AxiosInstance } from 'axios';
import type { ResolvedStack } from '../domain/config';
import { peopleIn } from '../domain/audiences';
import type { Channel, Person } from '../domain/people';
import { escapeSlack } from './notify';
import { newNonce, sealPass } from '../codec/decision-passes';

export interface PeopleQuestion {
  workflowId: string;
  /** An escalation level's contacts hear every question to that level but its acknowledgement (which pages them already). */
  kind: 'ack' | 'approval' | 'choose-release' | 'confirm-step';
  procedure: string;
  /** The role asked (an escalation level's name, "security team", ...). */
  audience: string;
  prompt: string;
  options?: string[];
  /** What the procedure did so far, newest last. */
  evidence: string[];
  /** How to answer (the CLI command). */
  answerWith: string;
  /** The question's ID: each person's decision link answers this question only. */
  questionId: string;
  /** When the question times out; a link expires then, or after the config's link lifetime if sooner. */
  expiresAt?: string;
}

export type PageAction = 'acknowledge' | 'resolve';

const PD_SUMMARY_MAX = 1024; // PagerDuty's limit on payload.summary

export function createPeopleActivities(deps: { http: AxiosInstance; env?: NodeJS.ProcessEnv; decisionKey?: string }) {
  const env = deps.env ?? process.env;

  /** The person's own one-time link to the decision page, when the API's public URL and the key are known. */
  function linkFor(stack: ResolvedStack, q: PeopleQuestion, person: Person): string | undefined {
    const { publicUrl, linkTtlSeconds } = stack.decisions;
    if (!publicUrl || !deps.decisionKey) return undefined;
    const latest = Date.now() + linkTtlSeconds * 1000;
    const expiresAt = q.expiresAt ? Math.min(Date.parse(q.expiresAt), latest) : latest;
    const pass = {
      workflowId: q.workflowId,
      questionId: q.questionId,
      person: person.name,
      nonce: newNonce(),
      expiresAt,
    };
    return `${publicUrl}/decide/${sealPass(deps.decisionKey, 'link', { ...pass, via: 'link' })}`;
  }

  /** Sends one body; undefined when accepted, else why not (by host only: a webhook URL's path can hold its token). */
  async function post(url: string, body: object): Promise<string | undefined> {
    const host = new URL(url).host;
    try {
      const res = await deps.http.post(url, body, { timeout: 5000, validateStatus: () => true });
      return res.status >= 200 && res.status < 300 ? undefined : `${host} answered ${res.status}`;
    } catch (err) {
      return `${host} unreachable (${(err as { code?: string }).code ?? (err as Error).message})`;
    }
  }

  function pagerDutyEvent(channel: Extract<Channel, { kind: 'pagerduty' }>, body: object) {
    const routingKey = env[channel.routingKeyEnv];
    if (!routingKey) return Promise.resolve(`${channel.routingKeyEnv} is not set in the worker's environment`);
    return post(channel.url, { routing_key: routingKey, ...body });
  }

  const text = (stack: ResolvedStack, q: PeopleQuestion, person: Person, link: string | undefined) =>
    [
      `[lifeline] ${q.procedure} of ${stack.name} asks the ${q.audience} (${person.name}): ${q.prompt}`,
      q.options?.length ? `Options: ${q.options.join(', ')}` : '',
      q.evidence.length ? `So far:\n${q.evidence.map((e) => `- ${e}`).join('\n')}` : '',
      link ? `Decide (your personal one-time link): ${link}` : '',
      `Answer: ${q.answerWith}`,
    ]
      .filter(Boolean)
      .join('\n');

  return {
    /**
     * Tells everyone holding the question's role, and the contacts of the escalation level it names.
     * Returns who was reached and what failed (person and channel).
     */
    async askPeople(stack: ResolvedStack, q: PeopleQuestion): Promise<{ reached: string[]; failed: string[] }> {
      const sends = peopleIn(stack.people, q.audience).flatMap((person) =>
        person.channels.map(async (channel) => {
          // One link per channel: each is single-use, and a person may open any of them.
          const link = linkFor(stack, q, person);
          const message = text(stack, q, person, link);
          const failure =
            channel.kind === 'pagerduty'
              ? await pagerDutyEvent(channel, {
                  event_action: 'trigger',
                  dedup_key: q.workflowId,
                  payload: {
                    summary: message.split('\n')[0].slice(0, PD_SUMMARY_MAX),
                    source: `lifeline/${stack.name}`,
                    severity: 'critical',
                    custom_details: { ...q, person: person.name },
                  },
                  ...(link ? { links: [{ href: link, text: 'Decide' }] } : {}),
                })
              : await post(
                  channel.url,
                  channel.kind === 'slack'
                    ? { text: escapeSlack(message) }
                    : { ...q, person: person.name, text: message, link },
                );
          return { person: person.name, channel: channel.kind, failure };
        }),
      );
      const level = q.kind === 'ack' ? undefined : stack.escalation.find((l) => l.name === q.audience);
      const contacts = (level?.contacts ?? []).map(async (c) => {
        const message = `[lifeline] ${q.procedure} of ${stack.name} asks the ${q.audience}: ${q.prompt}\nAnswer: ${q.answerWith}`;
        const body = c.kind === 'slack' ? { text: escapeSlack(message) } : { ...q, text: message };
        return { person: q.audience, channel: c.kind, failure: await post(c.url, body) };
      });
      const results = await Promise.all([...sends, ...contacts]);
      return {
        reached: [...new Set(results.filter((r) => !r.failure).map((r) => r.person))],
        failed: results.flatMap((r) => (r.failure ? [`${r.person} via ${r.channel}: ${r.failure}`] : [])),
      };
    },

    /** Acknowledges or resolves the procedure's page on every PagerDuty channel; returns what failed. */
    async settlePages(stack: ResolvedStack, workflowId: string, action: PageAction): Promise<string[]> {
      const channels = stack.people.flatMap((p) =>
        p.channels.flatMap((c) => (c.kind === 'pagerduty' ? [{ person: p.name, channel: c }] : [])),
      );
      // One event per routing key: people on one PagerDuty service share its incident.
      const unique = [...new Map(channels.map((c) => [`${c.channel.url} ${c.channel.routingKeyEnv}`, c])).values()];
      const failures = await Promise.all(
        unique.map(async ({ person, channel }) => {
          const failure = await pagerDutyEvent(channel, { event_action: action, dedup_key: workflowId });
          return failure && `${action} via ${person}'s pagerduty: ${failure}`;
        }),
      );
      return failures.filter((f): f is string => !!f);
    },
  };
}
