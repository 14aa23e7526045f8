/** Activity stubs with the timeouts and retry bounds each kind of work needs. */
import {
  ActivityCancellationType,
  type ActivityOptions,
  proxyActivities,
  proxyLocalActivities,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { HostActivities, OrchestrationActivities } from '../activities';
import type { ResolvedStack } from '../domain/config';
import { hostTaskQueue } from '../domain/task-queues';

const NON_RETRYABLE = ['BadInput', 'UnknownRelease', 'ChecksumMismatch', 'DockerRejected'];

/** While the engine is unreachable each attempt fails at once; the schedule-to-close timeout bounds the retrying. */
const ENGINE_RETRY: RetryPolicy = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '5s',
  maximumAttempts: 30,
  nonRetryableErrorTypes: NON_RETRYABLE,
};

/** How long heartbeating host work may be silent before its worker is taken for lost. */
const heartbeatSeconds = (stack: ResolvedStack) => Math.min(stack.timeouts.activityHeartbeatSeconds, 10);

/** Host work that heartbeats throughout; `longHostActivities` gives it the length its caller expects. */
type Heartbeating =
  | 'waitForStackHealthy'
  | 'snapshotVolumes'
  | 'restoreVolumeArchive'
  | 'verifyVolumeArchive'
  | 'collectEvidence'
  | 'pruneSafe'
  | 'pruneVolumes'
  // These two heartbeat while they archive volumes: `releaseRecorder` picks their stub.
  | 'recordRelease'
  | 'prepareRollback'
  // Starts the target beside the running version, waits for its health, switches the ingress and drains.
  | 'swapBehindIngress';

/** Host activities reachable through `hostActivities`: all but those only a caller can give a length to. */
type HostActivityStubs = Omit<
  HostActivities,
  | 'waitForStackHealthy'
  | 'snapshotVolumes'
  | 'restoreVolumeArchive'
  | 'verifyVolumeArchive'
  | 'runHostCommand'
  | 'swapBehindIngress'
>;

/** The bounds of a host activity reached through `hostActivities`; any not named here is short and silent. */
const BOUNDS: Partial<Record<keyof HostActivityStubs, 'stop' | 'swap' | 'watched' | 'probe'>> = {
  // They wait on the stack's own endpoints and commands (smoke tests, an integrity check), with timeouts of their own.
  runSmokeTests: 'probe',
  checkIntegrity: 'probe',
  checkStatusApi: 'probe',
  queryPrometheus: 'probe',
  // Silent while a container stops with its grace period (a recreate stops the container it replaces).
  stopContainers: 'stop',
  recreateFromRelease: 'stop',
  // Stops the whole stack and starts the target; it heartbeats throughout.
  replaceWithRelease: 'swap',
  // They heartbeat throughout, for as long as the engine takes.
  collectEvidence: 'watched',
  pruneSafe: 'watched',
  pruneVolumes: 'watched',
};

/** Probes of the stack's endpoints and commands: each has its own timeouts, well inside this. */
const PROBE_SECONDS = 180;

/** Heartbeats tell a lost worker at once; this bound only ends watched work that hangs while still beating. */
const WATCHED_SECONDS = 600;

/**
 * Docker and file operations on the stack's host, each with the bounds of its kind (BOUNDS), retried while the
 * engine is unreachable up to the stack's bound (`dockerUnavailableSeconds`):
 * - short ones never heartbeat, so they have no heartbeat timeout; a lost worker shows as an attempt that
 *   runs longer than a silent activity may (`activityHeartbeatSeconds`);
 * - a stop, a recreate and the swap may wait out the stop grace period, and their timeouts come from it;
 *   a timed-out attempt is retried only within the engine bound, so few whole attempts ever run.
 */
export function hostActivities(stack: ResolvedStack): HostActivityStubs {
  const { stopGraceSeconds, dockerUnavailableSeconds, activityHeartbeatSeconds: silent } = stack.timeouts;
  const base = {
    taskQueue: hostTaskQueue(stack.host),
    // A stopped procedure reports the state its last Docker step left, so it waits for that step to end.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: ENGINE_RETRY,
  };
  // A stop waits out the grace period before Docker kills; removing, creating and starting take seconds.
  const stopSeconds = stopGraceSeconds * 2 + 30;
  const stop: ActivityOptions = {
    ...base,
    startToCloseTimeout: `${stopSeconds}s`,
    // Never shorter than one whole stop.
    scheduleToCloseTimeout: `${Math.max(dockerUnavailableSeconds, stopSeconds)}s`,
  };
  const kinds: Record<'short' | 'stop' | 'swap' | 'watched' | 'probe', object> = {
    probe: proxyActivities<HostActivities>({
      ...base,
      startToCloseTimeout: `${PROBE_SECONDS}s`,
      scheduleToCloseTimeout: `${Math.max(dockerUnavailableSeconds, PROBE_SECONDS * 2)}s`,
    }),
    short: proxyActivities<HostActivities>({
      ...base,
      startToCloseTimeout: `${silent}s`,
      scheduleToCloseTimeout: `${Math.max(dockerUnavailableSeconds, silent)}s`,
    }),
    stop: proxyActivities<HostActivities>(stop),
    swap: proxyActivities<HostActivities>({ ...stop, heartbeatTimeout: `${heartbeatSeconds(stack)}s` }),
    watched: longHostActivities(stack, WATCHED_SECONDS),
  };
  const kindOf = (name: string | symbol) =>
    (typeof name === 'string' && BOUNDS[name as keyof HostActivityStubs]) || 'short';
  // Each activity from the stub of its kind, so no call site can give it another kind's bounds.
  return new Proxy({} as HostActivityStubs, { get: (_, name) => Reflect.get(kinds[kindOf(name)], name) });
}

/** Heartbeating work as long as `seconds` (health waits, volume archives, evidence, pruning). */
export function longHostActivities(stack: ResolvedStack, seconds: number) {
  return proxyActivities<Pick<HostActivities, Heartbeating>>({
    taskQueue: hostTaskQueue(stack.host),
    startToCloseTimeout: `${Math.ceil(seconds) + 60}s`,
    // Room for one retry after a worker crash, and no more: long work must not repeat for hours.
    scheduleToCloseTimeout: `${(Math.ceil(seconds) + 60) * 2}s`,
    heartbeatTimeout: `${heartbeatSeconds(stack)}s`,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
  });
}

/** Notifications and reports run on the workflow's own task queue, beside the workflows. */
export const orchestration = proxyActivities<OrchestrationActivities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['ConfigMissing', 'GithubRejected'],
  },
});

/**
 * The owner's look at what runs on its stack (a fresh run's search, an inherited procedure's status): two
 * quick attempts, since every request waits for it; a failure is recorded and the owner goes on.
 */
export const ownerChecks = proxyActivities<
  Pick<OrchestrationActivities, 'openProcedures' | 'procedureStatus' | 'readHold' | 'recordHold'>
>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', maximumAttempts: 2 },
});

/**
 * Reads of the worker's own config (a new procedure's stack settings): short and in this process, so a local
 * activity, recorded in the workflow task that asked for it instead of a round trip through a task queue.
 */
export const workerConfig = proxyLocalActivities<Pick<OrchestrationActivities, 'loadStack'>>({
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '500ms',
    maximumInterval: '5s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['ConfigMissing', 'BadInput'],
  },
});

/** Configured host commands (firewall, Docker restart): one attempt only, so a side effect on the host happens at most once. */
export function hostCommandActivities(stack: ResolvedStack, seconds: number) {
  return proxyActivities<Pick<HostActivities, 'runHostCommand'>>({
    taskQueue: hostTaskQueue(stack.host),
    startToCloseTimeout: `${Math.ceil(seconds) + 30}s`,
    heartbeatTimeout: `${heartbeatSeconds(stack)}s`,
    retry: { maximumAttempts: 1 },
  });
}

/** Recording a release archives the stack's volumes when so configured: then it is long work, with heartbeats. */
export function releaseRecorder(stack: ResolvedStack) {
  return stack.backupVolumes && stack.volumes.length ? longHostActivities(stack, 3600) : hostActivities(stack);
}

/**
 * The check of a decision's proof, inside the update that carries it: a local activity, so a person's answer
 * is not held up behind a task queue; an invalid proof fails at once.
 */
export const decisionChecks = proxyLocalActivities<Pick<OrchestrationActivities, 'openDecisionProof'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', maximumAttempts: 3, nonRetryableErrorTypes: ['InvalidPass', 'BadInput'] },
});
