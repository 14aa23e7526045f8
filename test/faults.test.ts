/**
 * Fault injection: the worker is SIGKILLed inside each step of the quick rollback and of the data-corruption
 * procedure (the Temporal server's kill: server-kill.test.ts). A new worker takes over; every run must finish
 * correctly with one container per service and no release lost.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ReleaseStore } from '../src/store/release-store';
import type { ResolvedStack } from '../src/domain/config';
import type { ReleaseSummary } from '../src/domain/release';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import { containersOf, createTestEnv, FAST_TIMEOUTS, TestEnv } from './harness/env';
import { inVolume, LISTING } from './harness/volume';
import { waitFor } from './harness/waits';
import { rollbacksOf } from './harness/owner';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import { abortUpdate, ownerStateQuery } from '../src/workflows/definitions';
import { spawnWorker, WorkerProcess } from './harness/worker-process';

const PORTS = [19401, 19402];
const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
const TIMEOUTS = { ...FAST_TIMEOUTS, activityHeartbeatSeconds: 2 };
let env: TestEnv;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  env = await createTestEnv('faults', { roles: [] });
});
/** Cleanup registered where a test creates something, so a failed assertion leaks nothing into the next test. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(async () => {
  await env?.teardown();
});

// Every activity waits 500 ms first: a window wide enough for the kill to land inside the chosen one.
const startWorker = async () =>
  (worker = await spawnWorker({
    host: env.host,
    taskQueue: env.taskQueue,
    configFile: env.configFile,
    chaosDelayMs: 500,
  }));
const releaseHash = (stack: string, id: string) =>
  createHash('sha256')
    .update(readFileSync(path.join(new ReleaseStore(env.dataDir).releaseDir(stack, id), 'release.json')))
    .digest('hex');

async function prepare(
  name: string,
  config: Record<string, unknown> = {},
): Promise<{ stack: ResolvedStack; good: ReleaseSummary }> {
  const stack = env.stack(name, {
    ports: PORTS,
    services: ['godot', 'api'],
    config: { timeouts: TIMEOUTS, ...config },
  });
  cleanups.push(() => removeFixtureStack(env.docker, stack));
  // The worker reads the env's config file, which holds a stack from here on.
  if (!worker) await startWorker();
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  const b = await env.start('backup', { stack, trigger: 'cli', requestedBy: 'test', reason: 'good', knownGood: true });
  const good = ((await b.result()) as { release: ReleaseSummary }).release;
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  return { stack, good };
}

/** Waits until an activity of `type` is running on the worker, then SIGKILLs the worker and starts a new one. */
async function killInside(handle: WorkflowHandle, type: string): Promise<void> {
  await waitFor(
    async () => {
      const d = await handle.describe();
      return d.raw.pendingActivities?.some((a) => a.activityType?.name === type && a.state === STARTED)
        ? true
        : undefined;
    },
    `${type} to start`,
    60_000,
  );
  worker!.kill();
  await startWorker();
}

async function retriedActivities(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Map(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType!.name!]),
  );
  return events
    .filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 0) > 1)
    .map((e) => scheduled.get(String(e.activityTaskStartedEventAttributes!.scheduledEventId))!);
}

const QUICK_ROLLBACK_KILL_POINTS = ['prepareRollback', 'replaceWithRelease', 'waitForStackHealthy', 'settleReleases'];

describe.each(QUICK_ROLLBACK_KILL_POINTS.map((p, i) => [p, i]))(
  'quick rollback, worker killed inside %s',
  (point, i) => {
    test('completes on a new worker with one container per service and no release lost', async () => {
      const name = `kill-${i}`;
      const { stack, good } = await prepare(name);
      const goodHash = releaseHash(name, good.id);
      const handle = await env.start('quick-rollback', {
        stack,
        trigger: 'cli',
        requestedBy: 'test',
        reason: `kill inside ${point}`,
      });
      await killInside(handle, point as string);
      expect(await handle.result()).toMatchObject({ status: 'completed', toRelease: good.id });
      for (const s of stack.services) {
        expect((await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).Config.Image).toBe(
          'lifeline-fixture/spacetime:v2.4.9',
        );
        expect(await containersOf(env.docker, name, s.name)).toHaveLength(1);
      }
      const releases = await new ReleaseStore(env.dataDir).list(name);
      expect(releases).toHaveLength(2); // the good one and one capture of the broken state, however often retried
      expect(releaseHash(name, good.id)).toBe(goodHash);
      expect(await retriedActivities(handle)).toContain(point);
      await removeFixtureStack(env.docker, stack);
    });
  },
);

describe.each(['snapshotVolumes', 'restoreVolumeArchive'])('data corruption, worker killed inside %s', (point) => {
  const VOLUME = `lifeline-fault-${point.toLowerCase()}`;
  test('restores the good data, keeps the corrupted snapshot, loses nothing', async () => {
    await env.docker
      .getVolume(VOLUME)
      .remove({ force: true })
      .catch(() => undefined);
    await env.docker.createVolume({ Name: VOLUME });
    await inVolume(env.docker, VOLUME, 'echo good-save > /data/save && head -c 200000 /dev/urandom > /data/blob');
    const goodListing = await inVolume(env.docker, VOLUME, LISTING);
    const name = `kill-${point.toLowerCase()}`;
    const { stack, good } = await prepare(name, {
      volumes: [VOLUME],
      backupVolumes: true,
      integrityCheck: { type: 'http', url: `http://127.0.0.1:${PORTS[0]}/status/` },
    });
    const goodHash = releaseHash(name, good.id);
    await inVolume(env.docker, VOLUME, 'echo CORRUPT > /data/save');
    const corruptListing = await inVolume(env.docker, VOLUME, LISTING);
    const handle = await env.start('data-corruption', {
      stack,
      trigger: 'cli',
      requestedBy: 'test',
      reason: 'corrupt',
      releaseId: good.id,
    });
    await killInside(handle, point);
    const result = (await handle.result()) as { status: string; snapshot: { archive: string; sha256: string }[] };
    expect(result.status).toBe('completed');
    expect(await inVolume(env.docker, VOLUME, LISTING)).toBe(goodListing);
    expect(releaseHash(name, good.id)).toBe(goodHash);
    // The emergency snapshot verifies and, restored elsewhere, gives back the corrupted data exactly.
    const snap = result.snapshot[0];
    expect(createHash('sha256').update(readFileSync(snap.archive)).digest('hex')).toBe(snap.sha256);
    const scratch = `${VOLUME}-scratch`;
    await env.docker.createVolume({ Name: scratch });
    const { createVolumeActivities } = await import('../src/activities/volumes');
    const { MockActivityEnvironment } = await import('@temporalio/testing');
    await new MockActivityEnvironment().run(
      createVolumeActivities({ docker: env.docker }).restoreVolume,
      scratch,
      snap.archive,
      snap.sha256,
    );
    expect(await inVolume(env.docker, scratch, LISTING)).toBe(corruptListing);
    expect(await retriedActivities(handle)).toContain(point);
    for (const s of stack.services) expect(await containersOf(env.docker, name, s.name)).toHaveLength(1);
    await removeFixtureStack(env.docker, stack);
    await env.docker.getVolume(scratch).remove({ force: true });
    await env.docker.getVolume(VOLUME).remove({ force: true });
  });
});

test('worker SIGKILLed during the handover from a failed rollback to rollback-failed: one owner throughout, no gap, one rollback-failed', async () => {
  const name = 'kill-handover';
  const stack = env.stack(name, {
    ports: PORTS,
    services: ['godot', 'api'],
    config: { timeouts: { ...TIMEOUTS, healthWaitSeconds: 4 } },
  });
  await startWorker();
  cleanups.push(() => removeFixtureStack(env.docker, stack));
  // The release recorded as good is the failing v2.5.0, so the rollback to it fails and hands over.
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  const b = await env.start('backup', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'looked good',
    knownGood: true,
  });
  await b.result();
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  const owner = env.client.workflow.getHandle(ownerWorkflowId(name));
  const handle = await env.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'handover' });

  // Sample the owner throughout: from the rollback's start until rollback-failed runs, someone holds the stack.
  const holders: (string | undefined)[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      holders.push((await owner.query(ownerStateQuery)).running?.workflowId);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await killInside(handle, 'markRelease'); // marking the target known-bad is the last activity before the handover
  const failed = await handle.result().then(
    () => undefined,
    (e) => e,
  );
  expect(failed?.cause).toMatchObject({ type: 'RollbackFailed' });
  const emergencyId = await waitFor(
    async () => {
      const running = (await owner.query(ownerStateQuery)).running?.workflowId;
      return running?.startsWith('emergency:rollback-failed:') ? running : undefined;
    },
    'rollback-failed to hold the stack',
    60_000,
  );
  sampling = false;
  await sampler;

  const state = await owner.query(ownerStateQuery);
  expect(rollbacksOf(state)).toEqual([handle.workflowId, emergencyId]);
  const emergencies = [];
  for await (const w of env.client.workflow.list({
    query: `WorkflowType = "rollbackFailed" AND TaskQueue = "${env.taskQueue}"`,
  }))
    emergencies.push(w.workflowId);
  expect(emergencies).toEqual([emergencyId]);
  expect((await env.client.workflow.getHandle(emergencyId).describe()).parentExecution?.workflowId).toBe(
    ownerWorkflowId(name),
  );
  // No gap: every sample names the rollback or rollback-failed, never nobody.
  expect(holders.length).toBeGreaterThan(5);
  expect(holders.filter((h) => h !== handle.workflowId && h !== emergencyId)).toEqual([]);
  expect(await retriedActivities(handle)).toContain('markRelease');

  await env.client.workflow
    .getHandle(emergencyId)
    .executeUpdate(abortUpdate, { args: [{ by: 'test', reason: 'test over' }] });
});
