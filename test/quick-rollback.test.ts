/** Foundation slice: a broken v2.5.0 is rolled back to the recorded v2.4.9 by the quick-rollback workflow. */
import { upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import type { ReleaseSummary } from '../src/domain/release';
import type { RollbackResult } from '../src/workflows/steps/finish-rollback';
import { ReleaseStore } from '../src/store/release-store';
import { containersOf, createTestEnv, TestEnv } from './harness/env';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('quick');
});
afterAll(async () => {
  await env?.teardown();
});

test('quick rollback brings the v2.4.9 release back, healthy, one container per service', async () => {
  // Retention keeps two releases: the rollback's bookkeeping prunes the oldest, never the good one.
  const stack = env.stack('quick', { ports: [19101, 19102, 19103, 19104], config: { retainReleases: 2 } });
  const input = { stack, trigger: 'cli' as const, requestedBy: 'test', reason: 'test' };
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  const stale = (await (await env.start('backup', input)).result()) as { release: ReleaseSummary };
  const backup = await env.start('backup', { ...input, knownGood: true });
  const { release: good } = (await backup.result()) as { release: ReleaseSummary };
  expect(good.imageTags).toEqual({ godot: 'v2.4.9', api: 'v2.4.9', telemetry: 'v2.4.9', assets: 'v2.4.9' });

  await upFixtureStack(env.docker, stack, 'v2.5.0'); // the broken deploy

  const handle = await env.start('quick-rollback', { ...input, reason: 'v2.5.0 fails health checks' });
  const result = (await handle.result()) as RollbackResult;

  expect(result.status).toBe('completed');
  expect(result.toRelease).toBe(good.id);
  expect(result.verification.passed).toBe(true);
  expect(result.verification.healthy).toBe('4/4 services healthy');
  await waitFixtureHealthy(env.docker, stack, 15_000); // Docker's own healthcheck agrees with the HTTP probes
  for (const s of stack.services) {
    const info = await env.docker.getContainer(fixtureContainer(stack, s)).inspect();
    expect(info.Config.Image).toBe('lifeline-fixture/spacetime:v2.4.9');
    expect(info.State.Running).toBe(true);
    expect(info.State.Health?.Status).toBe('healthy');
    expect(info.Config.Labels['lifeline.release']).toBe(good.id);
    expect(await containersOf(env.docker, 'quick', s.name)).toHaveLength(1);
  }
  const desc = await handle.describe();
  expect(desc.status.name).toBe('COMPLETED');
  const history = await handle.fetchHistory();
  const activityTypes = (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter(Boolean);
  expect(activityTypes).toEqual(
    expect.arrayContaining(['prepareRollback', 'replaceWithRelease', 'waitForStackHealthy']),
  );
  // The target was guessed right and read with the backup, in one activity: no read of it after the pick.
  expect(activityTypes.filter((t) => t === 'prepareRollback')).toHaveLength(1);
  expect(activityTypes).not.toContain('releaseToRestore');

  // The broken state was backed up before anything was touched, and is now known-bad.
  const releases = await new ReleaseStore(env.dataDir).list('quick');
  const broken = releases.find((r) => r.id === result.fromRelease);
  expect(broken?.imageTags.godot).toBe('v2.5.0');
  expect(broken?.knownBad).toBe(true);
  expect(releases.find((r) => r.id === good.id)?.knownGood).toBe(true);
  expect(releases.map((r) => r.id)).not.toContain(stale.release.id);
  expect(releases).toHaveLength(2);
});
