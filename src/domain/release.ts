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
  /** Mode and owner as recorded, so a restore puts the file back as it was. */
  mode: z.number().int().optional(),
  uid: z.number().int().optional(),
  gid: z.number().int().optional(),
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
  /** Hash of the service specs (images by content) and the config files: equal fingerprints mean the same state. */
  fingerprint: z.string(),
});
export type Release = z.infer<typeof releaseSchema>;

/**
 * What is known about a release state, by fingerprint, not by one record of it: the last verdict counts
 * (leaving a known-bad state keeps it known-bad).
 * `rolled-back-from`: a procedure moved away from it (recorded at the swap, whatever the procedure's end).
 */
export const releaseVerdicts = ['known-good', 'known-bad', 'rolled-back-from'] as const;
export type ReleaseVerdict = (typeof releaseVerdicts)[number];
export const releaseFactSchema = z.strictObject({
  verdict: z.enum(releaseVerdicts),
  at: z.string(),
  /** A person, or the workflow ID of the procedure that learned it. */
  by: z.string(),
  reason: z.string(),
});
export type ReleaseFact = z.infer<typeof releaseFactSchema>;
/** The stack's facts file: fingerprint → its latest fact. */
export const releaseFactsSchema = z.record(releaseFactSchema);
export type ReleaseFacts = z.infer<typeof releaseFactsSchema>;

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
    fingerprint: true,
  })
  .extend({ services: z.array(z.unknown()), volumes: z.array(z.unknown()) });
export type ReleaseSummary = Pick<Release, 'id' | 'stack' | 'createdAt' | 'reason' | 'imageTags' | 'fingerprint'> & {
  services: number;
  volumes: number;
  /** From the facts about its fingerprint: the latest verdict decides which of the three holds. */
  knownBad: boolean;
  knownGood: boolean;
  rolledBackFrom: boolean;
  fact?: ReleaseFact;
};

export function summarize(r: z.infer<typeof storedSummarySchema>, facts: ReleaseFacts): ReleaseSummary {
  const fact = facts[r.fingerprint];
  return {
    id: r.id,
    stack: r.stack,
    createdAt: r.createdAt,
    reason: r.reason,
    imageTags: r.imageTags,
    fingerprint: r.fingerprint,
    services: r.services.length,
    volumes: r.volumes.length,
    knownBad: fact?.verdict === 'known-bad',
    knownGood: fact?.verdict === 'known-good',
    rolledBackFrom: fact?.verdict === 'rolled-back-from',
    ...(fact ? { fact } : {}),
  };
}
