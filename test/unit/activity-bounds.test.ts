/**
 * The bounds each host activity gets (src/workflows/activities.ts): silent ones no heartbeat timeout,
 * stops and the swap timeouts from the stop grace period, heartbeating work a heartbeat timeout.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import { configSchema, resolveStack, type ResolvedStack } from '../../src/domain/config';
import { hostActivities, longHostActivities, releaseRecorder } from '../../src/workflows/activities';

// Each stub says which options it was made with, instead of scheduling anything.
jest.mock('@temporalio/workflow', () => ({
  ...jest.requireActual('@temporalio/workflow'),
  proxyActivities: (options: ActivityOptions) => new Proxy({}, { get: () => ({ options }) }),
}));

const optionsOf = (stub: unknown): ActivityOptions => (stub as { options: ActivityOptions }).options;

function stack(timeouts: Record<string, number>, extra: Record<string, unknown> = {}): ResolvedStack {
  const config = configSchema.parse({
    dataDir: '/tmp/lifeline-unit',
    stacks: { s: { services: { godot: { healthUrl: 'http://127.0.0.1:1/health' } }, timeouts, ...extra } },
  });
  return resolveStack(config, 's');
}

const SLOW_STOP = stack({ stopGraceSeconds: 60, activityHeartbeatSeconds: 30, dockerUnavailableSeconds: 120 });

test('activities that never heartbeat get no heartbeat timeout: the silent bound is their start-to-close', () => {
  const host = hostActivities(SLOW_STOP);
  for (const stub of [
    host.inspectStack,
    host.listReleases,
    host.markRelease,
    host.settleReleases,
    host.restoreConfigFiles,
    host.startContainers,
    host.recordRelease,
  ]) {
    const o = optionsOf(stub);
    expect(o.heartbeatTimeout).toBeUndefined();
    expect(o.startToCloseTimeout).toBe('30s');
    expect(o.scheduleToCloseTimeout).toBe('120s');
    expect(o.retry?.nonRetryableErrorTypes).toContain('DockerRejected');
  }
});

test('probes of the stack (smoke tests, integrity, status API, metrics) get their own longer bound, silent', () => {
  const host = hostActivities(SLOW_STOP);
  for (const stub of [host.runSmokeTests, host.checkIntegrity, host.checkStatusApi, host.queryPrometheus]) {
    expect(optionsOf(stub)).toMatchObject({ startToCloseTimeout: '180s', scheduleToCloseTimeout: '360s' });
    expect(optionsOf(stub).heartbeatTimeout).toBeUndefined();
  }
});

test('a stop or a recreate is bounded by the grace period, never cut short by a silent-activity bound', () => {
  const host = hostActivities(SLOW_STOP);
  for (const stub of [host.stopContainers, host.recreateFromRelease]) {
    expect(optionsOf(stub)).toMatchObject({ startToCloseTimeout: '150s', scheduleToCloseTimeout: '150s' });
    expect(optionsOf(stub).heartbeatTimeout).toBeUndefined();
  }
});

test('the swap heartbeats, so it has a heartbeat timeout besides the grace-period bounds', () => {
  expect(optionsOf(hostActivities(SLOW_STOP).replaceWithRelease)).toMatchObject({
    startToCloseTimeout: '150s',
    scheduleToCloseTimeout: '150s',
    heartbeatTimeout: '10s',
  });
  // The engine's unreachable bound still holds when it is the longer one.
  const quick = stack({ stopGraceSeconds: 1, dockerUnavailableSeconds: 300 });
  expect(optionsOf(hostActivities(quick).replaceWithRelease)).toMatchObject({
    startToCloseTimeout: '32s',
    scheduleToCloseTimeout: '300s',
  });
});

test('pruning and evidence heartbeat throughout, with limited attempts', () => {
  const host = hostActivities(SLOW_STOP);
  for (const stub of [host.pruneVolumes, host.pruneSafe, host.collectEvidence]) {
    const o = optionsOf(stub);
    expect(o).toMatchObject({ startToCloseTimeout: '660s', heartbeatTimeout: '10s' });
    expect(o.retry?.maximumAttempts).toBe(5);
  }
});

test('long work gets the length its caller gives, with a heartbeat timeout', () => {
  expect(optionsOf(longHostActivities(SLOW_STOP, 3600).restoreVolumeArchive)).toMatchObject({
    startToCloseTimeout: '3660s',
    heartbeatTimeout: '10s',
  });
  // A short heartbeat setting applies as it is.
  expect(optionsOf(longHostActivities(stack({ activityHeartbeatSeconds: 2 }), 60).snapshotVolumes)).toMatchObject({
    heartbeatTimeout: '2s',
  });
});

test('recording a release heartbeats only while it archives volumes', () => {
  const archiving = stack({}, { volumes: ['saves'], backupVolumes: true });
  expect(optionsOf(releaseRecorder(archiving).recordRelease).heartbeatTimeout).toBe('10s');
  for (const s of [stack({}, { volumes: ['saves'] }), stack({}, { backupVolumes: true })])
    expect(optionsOf(releaseRecorder(s).recordRelease).heartbeatTimeout).toBeUndefined();
});
