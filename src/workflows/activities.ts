/** Activity stubs with the timeouts and retry bounds each kind of work needs. */
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { HostActivities, OrchestrationActivities } from '../activities';
import type { ResolvedStack } from '../domain/config';
import { hostTaskQueue } from '../domain/task-queues';

const NON_RETRYABLE = ['BadInput', 'UnknownRelease', 'ChecksumMismatch', 'DockerRejected'];

/** Short Docker and file operations on the stack's host; retried while the engine is unreachable, up to the stack's bound. */
export function hostActivities(stack: ResolvedStack) {
  return proxyActivities<HostActivities>({
    taskQueue: hostTaskQueue(stack.host),
    startToCloseTimeout: `${Math.max(60, stack.timeouts.stopGraceSeconds * 2 + 30)}s`,
    // The bound on retrying an unreachable engine; never shorter than one stop with its grace period.
    scheduleToCloseTimeout: `${Math.max(stack.timeouts.dockerUnavailableSeconds, stack.timeouts.stopGraceSeconds * 2 + 10)}s`,
    heartbeatTimeout: `${stack.timeouts.activityHeartbeatSeconds}s`,
    // A stopped procedure reports the state its last Docker step left, so it waits for that step to end.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '500ms',
      backoffCoefficient: 2,
      maximumInterval: '5s',
      maximumAttempts: 30,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  });
}

/** Activities that poll for a long time (health waits, volume archives); they heartbeat. */
export function longHostActivities(stack: ResolvedStack, seconds: number) {
  return proxyActivities<HostActivities>({
    taskQueue: hostTaskQueue(stack.host),
    startToCloseTimeout: `${Math.ceil(seconds) + 60}s`,
    // Room for one retry after a worker crash, and no more: long work must not repeat for hours.
    scheduleToCloseTimeout: `${(Math.ceil(seconds) + 60) * 2}s`,
    heartbeatTimeout: `${Math.min(stack.timeouts.activityHeartbeatSeconds, 10)}s`,
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
    heartbeatTimeout: `${Math.min(stack.timeouts.activityHeartbeatSeconds, 10)}s`,
    retry: { maximumAttempts: 1 },
  });
}

/** Recording a release archives the stack's volumes when so configured: then it is long work, with heartbeats. */
export function releaseRecorder(stack: ResolvedStack) {
  return stack.backupVolumes && stack.volumes.length ? longHostActivities(stack, 3600) : hostActivities(stack);
}
