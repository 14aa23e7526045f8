/**
 * Rules about releases that workflows use: IDs, ordering, which release a rollback may take, retention. No
 * zod here: workflow code imports this module, and every workflow instance loads its modules anew.
 */
import type { ReleaseFact, ReleaseSummary } from './release';

/** Formats a UTC instant as a release ID (YYYYMMDD-HHMMSS), the runbook's backup naming. */
export function formatReleaseId(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-` +
    `${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`
  );
}

/** Next unique release ID at or after `at`, moving forward one second while the ID is taken. */
export function nextReleaseId(at: Date, taken: ReadonlySet<string>): string {
  let t = Math.floor(at.getTime() / 1000) * 1000;
  while (taken.has(formatReleaseId(new Date(t)))) t += 1000;
  return formatReleaseId(new Date(t));
}

export const newestFirst = <T extends { id: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));

/** Image tag of a reference like "repo/name:tag" ("latest" when untagged, ignoring a registry port). */
export function imageTagOf(image: string): string {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : 'latest';
}

export function withImageTag(image: string, tag: string): string {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return `${colon > slash ? image.slice(0, colon) : image}:${tag}`;
}

/**
 * Releases an automatic choice may take, newest first (the quick rollback takes the first): never a state
 * known to be bad or one a procedure moved away from, nor the state running now (`currentFingerprint`).
 */
export function rollbackCandidates(
  releases: readonly ReleaseSummary[],
  opts: { olderThan?: string; excluding?: readonly string[]; currentFingerprint?: string; leaving?: string } = {},
): ReleaseSummary[] {
  const excluded = new Set(opts.excluding ?? []);
  return newestFirst(releases).filter(
    (r) =>
      !r.knownBad &&
      !r.rolledBackFrom &&
      !excluded.has(r.id) &&
      r.fingerprint !== opts.currentFingerprint &&
      r.fingerprint !== opts.leaving &&
      (opts.olderThan === undefined || r.id < opts.olderThan),
  );
}

/** What is known about a state after `fact`: the latest verdict, except that leaving a known-bad state keeps it known-bad. */
export function nextFact(previous: ReleaseFact | undefined, fact: ReleaseFact): ReleaseFact {
  return fact.verdict === 'rolled-back-from' && previous?.verdict === 'known-bad' ? previous : fact;
}

/** Why a person who names `r` explicitly is asked to confirm it first; undefined when nothing speaks against it. */
export function explicitTargetConcern(r: ReleaseSummary): string | undefined {
  if (!r.knownBad && !r.rolledBackFrom) return undefined;
  const what = r.knownBad ? 'is known-bad' : 'was rolled back from';
  const f = r.fact;
  return `release ${r.id} ${what}${f ? ` (${f.reason}; by ${f.by} at ${f.at})` : ''}`;
}

/**
 * The releases a breach may deploy once the security team approves: verified clean, newest first; never a
 * record taken of the compromised stack (`evidence`), whose files and archives date from the breach.
 */
export const cleanReleases = (
  releases: readonly ReleaseSummary[],
  evidence: readonly string[] = [],
): ReleaseSummary[] => rollbackCandidates(releases, { excluding: evidence }).filter((r) => r.knownGood);

/**
 * Rollback-failed's attempts: the failed target once more by force (the runbook's force restart, even
 * though the failed procedure marked it known-bad), unless it is the state that procedure left or something
 * else found it bad; then older releases one at a time.
 */
export function rollbackFailedPlan(
  releases: readonly ReleaseSummary[],
  opts: { tried: readonly string[]; leaving?: string; limit: number; handedOverBy?: string },
): { forceRestart?: string; older: string[] } {
  const [last] = opts.tried;
  const lastSummary = releases.find((r) => r.id === last);
  const badElsewhere = lastSummary?.knownBad && lastSummary.fact?.by !== opts.handedOverBy;
  const forceRestart = lastSummary && lastSummary.fingerprint !== opts.leaving && !badElsewhere ? last : undefined;
  const older = rollbackCandidates(releases, {
    excluding: opts.tried,
    olderThan: lastSummary ? last : undefined,
    leaving: opts.leaving,
  })
    .slice(0, opts.limit)
    .map((r) => r.id);
  return { forceRestart, older };
}

/**
 * The release a rollback will most likely restore, said before its backup is taken: the newest candidate
 * (quick rollback) or the named one (specific version). Read early, a right guess saves a round trip.
 */
export type LikelyTarget = 'newest' | { id: string };

/**
 * The likely target's ID among `releases`. "Newest" counts only releases created before `beganAt` (ms): the
 * procedure's own backup is not a candidate. By creation time, not ID: IDs have one-second steps, and a
 * release recorded just before the procedure began may share its second.
 */
export function likelyTargetId(
  likely: LikelyTarget,
  releases: readonly ReleaseSummary[],
  beganAt: number,
): string | undefined {
  if (likely !== 'newest') return releases.find((r) => r.id === likely.id)?.id;
  return rollbackCandidates(releases.filter((r) => Date.parse(r.createdAt) < beganAt))[0]?.id;
}

/**
 * Which release IDs a retention of `keep` deletes: everything past the newest `keep`,
 * except the newest known-good release, which is never deleted.
 */
export function releasesToPrune(releases: readonly ReleaseSummary[], keep: number): string[] {
  const sorted = newestFirst(releases);
  const lastGood = sorted.find((r) => r.knownGood && !r.knownBad);
  return sorted
    .slice(Math.max(keep, 0))
    .filter((r) => r.id !== lastGood?.id)
    .map((r) => r.id);
}

/** The newest release whose state was last verified good: the runbook's "last known good". */
export function lastKnownGood(
  releases: readonly ReleaseSummary[],
  opts: { excluding?: readonly string[]; currentFingerprint?: string } = {},
): ReleaseSummary | undefined {
  return rollbackCandidates(releases, opts).find((r) => r.knownGood);
}
