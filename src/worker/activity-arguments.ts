/**
 * The arguments every registered activity accepts, one schema per activity: a pinned stack where the
 * activity takes one (swapped for the worker's own copy, refused if it differs), and otherwise only names,
 * IDs, bounded text and numbers. The map's type lists every registered activity, so a new one does not
 * compile without its schema; an activity type missing here is refused by the interceptor.
 */
import { z } from 'zod';
import type { HostActivities, OrchestrationActivities } from '../activities';
import type { PinnedStacks } from '../config/pinned-stacks';
import type { ResolvedStack } from '../domain/config';
import { imageTagSchema, releaseIdSchema, serviceNameSchema, stackNameSchema } from '../domain/names';
import { stackOfWorkflowId } from '../domain/workflow-ids';

export type ActivityName = keyof HostActivities | keyof OrchestrationActivities;
export type ActivityArgumentSchemas = Record<ActivityName, z.ZodTuple<[z.ZodTypeAny, ...z.ZodTypeAny[]] | []>>;

/** Free text (reasons, messages, evidence): an alert's summary and an error's message end up in it. */
const text = (max = 65_536) => z.string().max(max);
const workflowId = z.string().regex(/^[A-Za-z0-9:_.-]{1,255}$/, 'a workflow ID');
/** A folder name under the worker's data dir: never "." or "..", never a separator. */
const bundle = z.string().regex(/^[A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,199}$/, 'a bundle name');
const label = z.string().regex(/^[A-Za-z0-9:_.-]{1,160}$/, 'a release label');
const volume = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/, 'a volume name');
const seconds = z
  .number()
  .int()
  .min(0)
  .max(7 * 86_400);
const source = z.object({ release: releaseIdSchema, imageTag: imageTagSchema.optional() }).strict();
const wave = source.extend({ label, services: z.array(serviceNameSchema).max(200) }).strict();
const recordOptions = z
  .object({
    reason: text(),
    requestKey: text(300),
    knownGood: z
      .object({ evidence: text(), by: text(300) })
      .strict()
      .optional(),
  })
  .strict();
const hold = z
  .object({
    reason: text(),
    audience: text(200),
    pageLevel: text(200).optional(),
    procedure: text(100),
    workflowId,
    since: text(100),
  })
  .strict();
const records = z.array(z.unknown()).max(10_000);
/** Reports are data, rendered to a file named by the pinned stack and the report's workflow ID. */
const report = z
  .object({
    workflowId,
    stack: stackNameSchema,
    procedure: text(100),
    trigger: text(20).optional(),
    requestedBy: text(300).optional(),
    reason: text(),
    outcome: text(),
    fromRelease: text(200).optional(),
    toRelease: text(200).optional(),
    timeline: records,
    checklist: records,
    errorLines: records,
    decisions: records.optional(),
    hold: z.unknown().optional(),
  })
  .strict();

export function activityArgumentSchemas(stacks: PinnedStacks): ActivityArgumentSchemas {
  const stack = z
    .object({ name: stackNameSchema, configHash: z.string().regex(/^[0-9a-f]{16}$/, 'a pinned config version') })
    .passthrough()
    .transform((given) => stacks.verify(given as unknown as ResolvedStack));
  const target = z.object({ stack, of: z.enum(['services', 'ingress', 'blue', 'green']).optional() }).strict();
  const only = z.tuple([stack]);
  return {
    recordRelease: z.tuple([stack, recordOptions]),
    listReleases: only,
    getRelease: z.tuple([stack, releaseIdSchema]),
    releaseToRestore: z.tuple([stack, releaseIdSchema]),
    markRelease: z.tuple([
      stack,
      releaseIdSchema,
      z.union([z.object({ knownBad: text() }).strict(), z.object({ knownGood: text() }).strict()]),
      text(300),
    ]),
    markLeaving: z.tuple([
      stack,
      z.object({ by: text(300), reason: text(), targetFingerprint: text(100).optional() }).strict(),
    ]),
    restoreConfigFiles: z.tuple([stack, releaseIdSchema]),
    settleReleases: z.tuple([
      stack,
      z
        .object({
          by: text(300),
          knownBad: z.object({ id: releaseIdSchema, reason: text() }).strict().optional(),
          knownGood: z.object({ id: releaseIdSchema, evidence: text() }).strict().optional(),
        })
        .strict(),
    ]),
    pruneReleases: only,
    missingImagesOf: z.tuple([stack, source]),
    replaceWithRelease: z.tuple([stack, wave]),
    swapBehindIngress: z.tuple([stack, source.extend({ label }).strict()]),
    recreateFromRelease: z.tuple([stack, wave]),
    verifyVolumeArchive: z.tuple([stack, releaseIdSchema, volume]),
    restoreVolumeArchive: z.tuple([stack, releaseIdSchema, volume]),
    waitForStackHealthy: z.tuple([
      stack,
      z
        .object({
          timeoutSeconds: seconds,
          stableSeconds: seconds,
          pollMs: z.number().int().min(50).max(60_000).optional(),
          services: z.array(serviceNameSchema).max(200).optional(),
          environment: z.literal('blue').optional(),
        })
        .strict(),
    ]),
    runSmokeTests: only,
    checkStatusApi: only,
    queryPrometheus: only,
    checkIntegrity: only,
    scanErrorLogs: z.tuple([stack, z.number().int().min(0).optional()]),
    prepareRollback: z.tuple([
      stack,
      recordOptions
        .extend({
          likely: z.union([z.literal('newest'), z.object({ id: releaseIdSchema }).strict()]).optional(),
          beganAt: z.string().datetime(),
        })
        .strict(),
    ]),
    switchNginxUpstream: only,
    collectEvidence: z.tuple([stack, bundle, z.number().int().min(1).max(100_000)]),
    snapshotVolumes: z.tuple([stack, bundle]),
    diskFree: only,
    runHostCommand: z.tuple([stack, z.enum(['firewallCommand', 'dockerRestartCommand']), seconds.min(1)]),
    inspectStack: only,
    containersOfProject: z.tuple([stack, z.enum(['blue', 'green'])]),
    stopContainers: z.tuple([target, seconds]),
    startContainers: z.tuple([target]),
    listAllContainers: only,
    pruneSafe: only,
    pruneVolumes: only,
    // Orchestration: people, reports and the owner's reads.
    notify: z.tuple([
      stack,
      z
        .object({
          kind: z.enum([
            'started',
            'escalated',
            'waiting',
            'completed',
            'failed',
            'alert',
            'aborted',
            'cancelled',
            'preempted',
          ]),
          workflowId,
          stack: stackNameSchema,
          procedure: text(100),
          message: text(20_000),
          level: text(200).optional(),
        })
        .strict(),
      z.union([z.literal('stakeholders'), z.object({ escalationLevel: text(200) }).strict()]).optional(),
    ]),
    writeIncidentReport: z.tuple([stack, report]),
    createGithubIssue: z.tuple([stack, report]),
    noteInIncidentReport: z.tuple([stack, workflowId, text()]),
    askPeople: z.tuple([
      stack,
      z
        .object({
          workflowId,
          kind: z.enum(['ack', 'approval', 'choose-release', 'confirm-step']),
          procedure: text(100),
          audience: text(200),
          prompt: text(),
          options: z.array(text(200)).max(200).optional(),
          evidence: z.array(text()).max(50),
          answerWith: text(1000),
          questionId: text(40),
          expiresAt: text(40).optional(),
        })
        .strict(),
    ]),
    settlePages: z.tuple([stack, workflowId, z.enum(['acknowledge', 'resolve'])]),
    openDecisionProof: z.tuple([stack, text(1024)]),
    procedureStatus: z.tuple([workflowId]),
    openProcedures: z.tuple([stackNameSchema]),
    // A new procedure's request: it names a stack, and PinnedStacks.load refuses any setting the config lacks.
    loadStack: z.tuple([z.object({ requested: z.object({ name: stackNameSchema }).passthrough() }).strict()]),
    recordHold: z.tuple([stack, hold.nullable()]),
    readHold: only,
  };
}

/**
 * The stack a call acts for, once its arguments passed their schema: the caller must be a Lifeline workflow
 * of that stack. Most activities take the pinned stack first; these name it otherwise.
 */
export function stackOfCall(activity: ActivityName, args: unknown[]): string {
  switch (activity) {
    case 'stopContainers':
    case 'startContainers':
      return (args[0] as { stack: ResolvedStack }).stack.name;
    case 'openProcedures':
      return args[0] as string;
    case 'loadStack':
      return (args[0] as { requested: { name: string } }).requested.name;
    case 'procedureStatus':
      // Only a procedure of the caller's own stack: any other ID names no stack the caller can belong to.
      return stackOfWorkflowId(args[0] as string) ?? '(no stack)';
    default:
      return (args[0] as ResolvedStack).name;
  }
}
