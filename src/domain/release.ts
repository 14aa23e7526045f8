/** The release model: what Lifeline records so a stack can be brought back exactly as it ran. */
import { z } from 'zod';
import { releaseIdSchema, serviceNameSchema, stackNameSchema } from './names';

export const mountSchema = z.object({
  type: z.enum(['volume', 'bind', 'tmpfs']),
  source: z.string(),
  target: z.string(),
  readOnly: z.boolean(),
});

export const healthcheckSchema = z.object({
  test: z.array(z.string()),
  intervalNs: z.number().int().nonnegative().optional(),
  timeoutNs: z.number().int().nonnegative().optional(),
  startPeriodNs: z.number().int().nonnegative().optional(),
  retries: z.number().int().nonnegative().optional(),
});

export const endpointSchema = z.object({
  aliases: z.array(z.string()).optional(),
  ipv4Address: z.string().optional(),
  ipv6Address: z.string().optional(),
  links: z.array(z.string()).optional(),
  driverOpts: z.record(z.string()).optional(),
});
export type EndpointSpec = z.infer<typeof endpointSchema>;

/** One container as docker inspect showed it, minus what the image supplies by itself. */
export const containerSpecSchema = z.object({
  service: serviceNameSchema,
  name: z.string().min(1),
  image: z.string().min(1),
  imageId: z.string(),
  env: z.array(z.string()),
  cmd: z.array(z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  labels: z.record(z.string()),
  mounts: z.array(mountSchema),
  networkMode: z.string(),
  restartPolicy: z.string(),
  init: z.boolean(),
  healthcheck: healthcheckSchema.optional(),
  user: z.string().optional(),
  workingDir: z.string().optional(),
  stopGraceSeconds: z.number().int().nonnegative().optional(),
  /** The rest of docker inspect's Config (hostname, exposed ports, stop signal, tty, ...), image defaults left out. */
  config: z.record(z.unknown()).optional(),
  /** docker inspect's HostConfig as created (ports, limits, capabilities, read-only root, tmpfs, ulimits, log options, ...). */
  hostConfig: z.record(z.unknown()).optional(),
  /** Every network the container is attached to, with its endpoint settings (aliases, static addresses, links). */
  networks: z.record(endpointSchema).optional(),
  /** Anonymous volumes by name, so a recreate re-attaches them instead of making new empty ones. */
  anonymousVolumes: z.array(z.object({ name: z.string(), target: z.string() })).optional(),
  /** Compose `depends_on` of this service: started after these, and after they are healthy when so conditioned. */
  dependsOn: z
    .array(
      z.object({
        service: z.string(),
        condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']),
      }),
    )
    .optional(),
});
export type ContainerSpec = z.infer<typeof containerSpecSchema>;

export const storedFileSchema = z.object({
  source: z.string(),
  stored: z.string(),
  sha256: z.string(),
  bytes: z.number(),
});
export const volumeArchiveSchema = z.object({
  volume: z.string(),
  archive: z.string(),
  sha256: z.string(),
  bytes: z.number(),
});

export const releaseSchema = z.object({
  id: releaseIdSchema,
  stack: stackNameSchema,
  host: z.string(),
  createdAt: z.string(),
  reason: z.string(),
  imageTags: z.record(z.string()),
  services: z.array(containerSpecSchema),
  configFiles: z.array(storedFileSchema),
  volumes: z.array(volumeArchiveSchema),
  knownBad: z.boolean(),
  knownBadReason: z.string().optional(),
  knownGood: z.boolean(),
  /** Hash of all service specs: equal fingerprints mean the same running state. */
  fingerprint: z.string(),
});
export type Release = z.infer<typeof releaseSchema>;

/**
 * What a listing reads of a stored release: its top-level fields, not every container spec (checking those
 * costs about 1.5 ms a release). The whole release is checked when it is read to be restored.
 */
export const storedSummarySchema = releaseSchema
  .pick({
    id: true,
    stack: true,
    createdAt: true,
    reason: true,
    imageTags: true,
    knownBad: true,
    knownGood: true,
    fingerprint: true,
  })
  .extend({ services: z.array(z.unknown()), volumes: z.array(z.unknown()) });
export type ReleaseSummary = Pick<
  Release,
  'id' | 'stack' | 'createdAt' | 'reason' | 'imageTags' | 'knownBad' | 'knownGood' | 'fingerprint'
> & {
  services: number;
  volumes: number;
};

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

/** Releases that may be rolled back to, newest first (the quick rollback takes the first). */
export function rollbackCandidates(
  releases: readonly ReleaseSummary[],
  opts: { olderThan?: string; excluding?: readonly string[]; currentFingerprint?: string } = {},
): ReleaseSummary[] {
  const excluded = new Set(opts.excluding ?? []);
  return newestFirst(releases).filter(
    (r) =>
      !r.knownBad &&
      !excluded.has(r.id) &&
      r.fingerprint !== opts.currentFingerprint &&
      (opts.olderThan === undefined || r.id < opts.olderThan),
  );
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

export function summarize(r: z.infer<typeof storedSummarySchema>): ReleaseSummary {
  return {
    id: r.id,
    stack: r.stack,
    createdAt: r.createdAt,
    reason: r.reason,
    imageTags: r.imageTags,
    knownBad: r.knownBad,
    knownGood: r.knownGood,
    fingerprint: r.fingerprint,
    services: r.services.length,
    volumes: r.volumes.length,
  };
}

/** The newest release marked known-good and not since marked known-bad: the runbook's "last known good". */
export function lastKnownGood(
  releases: readonly ReleaseSummary[],
  opts: { excluding?: readonly string[] } = {},
): ReleaseSummary | undefined {
  return rollbackCandidates(releases, opts).find((r) => r.knownGood);
}
