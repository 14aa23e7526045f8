/**
 * The runbook's people: each has a name, roles (the audiences the runbook and the escalation path name:
 * "on-call engineer", "senior ops", "security team", ...) and the channels that reach them. A question is
 * asked of an audience; everyone holding that role is told, on every channel they have.
 */
import { z } from 'zod';
import { peopleIn } from './audiences';

/** A Slack-compatible incoming webhook, a generic JSON webhook, or PagerDuty's Events API v2. */
export const channelSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('slack'), url: z.string().url() }),
  z.strictObject({ kind: z.literal('webhook'), url: z.string().url() }),
  z.strictObject({
    kind: z.literal('pagerduty'),
    /** The environment variable holding the service's integration (routing) key: a secret, never in the config. */
    // Only a variable named for PagerDuty: the worker sends its value to `url`, so no other secret can be named.
    routingKeyEnv: z
      .string()
      .regex(/^[A-Z0-9_]*PAGERDUTY[A-Z0-9_]*$/, 'an environment variable whose name contains PAGERDUTY'),
    url: z.string().url().default('https://events.pagerduty.com/v2/enqueue'),
  }),
]);
export type Channel = z.infer<typeof channelSchema>;

export const personSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/, 'letters, digits, " ", ".", "_" and "-" (max 64)'),
  roles: z.array(z.string().min(1).max(100)).min(1),
  channels: z.array(channelSchema).min(1),
});
export type Person = z.infer<typeof personSchema>;
export type PersonInput = z.input<typeof personSchema>;

/**
 * The audiences the runbook's questions go to, besides each escalation level (whose name is its role): the
 * breach approval, the data-corruption release choice and restart confirmations, the volume prune.
 */
export const QUESTION_AUDIENCES = ['security team', 'on-call engineer', 'senior ops'] as const;

/**
 * With people configured, every escalation level and every question's audience must reach someone (people
 * with its role, or a level's own contacts): a level nobody hears would be climbed in silence.
 */
export function unreachableAudiences(
  people: readonly Person[],
  levels: readonly { name: string; contacts: readonly unknown[] }[],
): string[] {
  if (people.length === 0) return [];
  const reached = (audience: string) =>
    peopleIn(people, audience).length > 0 || levels.some((l) => l.name === audience && l.contacts.length > 0);
  const audiences = [...new Set([...levels.map((l) => l.name), ...QUESTION_AUDIENCES])];
  return audiences.filter((a) => !reached(a));
}

/** The decisions that may need two different people to approve (ROLLBACK_PROCEDURES.md: the breach, the prune). */
export const TWO_PERSON_DECISIONS = ['breach approval', 'volume prune'] as const;

/** The audience each two-person decision is asked of. */
const TWO_PERSON_AUDIENCE: Record<(typeof TWO_PERSON_DECISIONS)[number], string> = {
  'breach approval': 'security team',
  'volume prune': 'senior ops',
};

/** A two-person decision needs two people who may make it: else it could be made by one name twice, or never. */
export function twoPersonShortfalls(
  people: readonly Person[],
  decisions: readonly (typeof TWO_PERSON_DECISIONS)[number][],
): string[] {
  return decisions.flatMap((d) => {
    const holders = peopleIn(people, TWO_PERSON_AUDIENCE[d]).length;
    return holders >= 2
      ? []
      : [`${d} needs two different people, but ${holders} hold the role "${TWO_PERSON_AUDIENCE[d]}"`];
  });
}

export const decisionSettingsSchema = z.strictObject({
  /** How long a decision link is good for when its question has no deadline of its own. */
  linkTtlSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86400)
    .default(86400),
  /** Which decisions need two different people's approval. */
  twoPeople: z.array(z.enum(TWO_PERSON_DECISIONS)).default([]),
});
export type DecisionSettings = z.infer<typeof decisionSettingsSchema>;
export type DecisionSettingsInput = z.input<typeof decisionSettingsSchema>;
