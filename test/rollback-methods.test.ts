/** Methods 2, 3 and 5 and the guarded deploy, end to end on the real engine and server. */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import type { ReleaseSummary } from '../src/domain/release';
import type { ResolvedStack } from '../src/domain/config';
import type { RollbackResult } from '../src/workflows/steps/finish-rollback';
import type { DeployResult } from '../src/workflows/automatic-rollback';
import { chooseReleaseUpdate, progressQuery } from '../src/workflows/definitions';
import { ReleaseStore } from '../src/store/release-store';
import { containersOf, createTestEnv, TestEnv } from './harness/env';
import { waitForPending } from './harness/waits';

let env: TestEnv;
let stack: ResolvedStack;
beforeAll(async () => {
  env = await createTestEnv('methods');
  stack = env.stack('methods', { ports: [16151, 16152, 19403, 19404] });
});
afterAll(async () => {
  await env?.teardown();
});

const input = (reason = 'test') => ({ stack, trigger: 'cli' as const, requestedBy: 'tester', reason });

async function recordTag(tag: string, knownGood = true): Promise<ReleaseSummary> {
  await upFixtureStack(env.docker, stack, tag);
  await waitFixtureHealthy(env.docker, stack);
  const h = await env.start('backup', { ...input(`release ${tag}`), knownGood });
  return ((await h.result()) as { release: ReleaseSummary }).release;
}

async function imagesRunning(): Promise<string[]> {
  return Promise.all(
    stack.services.map(async (s) => (await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).Config.Image),
  );
}

test('method 3: a specific older release, skipping the newer one', async () => {
  const older = await recordTag('v2.4.8');
  await recordTag('v2.4.9');
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  const h = await env.start('specific-version-rollback', { ...input(), releaseId: older.id });
  const r = (await h.result()) as RollbackResult;
  expect(r.toRelease).toBe(older.id);
  expect(await imagesRunning()).toEqual(Array(4).fill('lifeline-fixture/spacetime:v2.4.8'));
});

test('method 3: an unknown release fails before any container is touched', async () => {
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  const before = await Promise.all(
    stack.services.map(async (s) => (await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).Id),
  );
  const h = await env.start('specific-version-rollback', { ...input(), releaseId: '20200101-000000' });
  await expect(h.result()).rejects.toThrow('Workflow execution failed');
  const desc = await h.describe();
  expect(desc.status.name).toBe('FAILED');
  const after = await Promise.all(
    stack.services.map(async (s) => (await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).Id),
  );
  expect(after).toEqual(before);
});

test('method 2: a person chooses from the list; a release not on it is refused', async () => {
  const good = await recordTag('v2.4.9');
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  const h = await env.start('interactive-rollback', input('choose one'));
  const p = await waitForPending(h, 'choose-release');
  expect(p.pending?.kind).toBe('choose-release');
  expect(p.pending?.options).toContain(good.id);

  const refused = h.executeUpdate(chooseReleaseUpdate, { args: [{ by: 'alice', releaseId: '19990101-000000' }] });
  await expect(refused).rejects.toThrow(WorkflowUpdateFailedError);
  await expect(refused).rejects.toMatchObject({ cause: { message: expect.stringContaining('is not one of') } });
  await expect(h.executeUpdate(chooseReleaseUpdate, { args: [{ by: '', releaseId: good.id }] })).rejects.toThrow(
    WorkflowUpdateFailedError,
  );
  // A refused update leaves no trace in the history.
  const history = await h.fetchHistory();
  expect((history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(0);

  const decision = await h.executeUpdate(chooseReleaseUpdate, {
    args: [{ by: 'alice', releaseId: good.id, reason: 'last good' }],
  });
  expect(decision).toMatchObject({ kind: 'choose-release', by: 'alice', releaseId: good.id });
  const r = (await h.result()) as RollbackResult;
  expect(r.toRelease).toBe(good.id);
  const final = await h.query(progressQuery);
  expect(final.decisions.map((d) => d.by)).toEqual(['alice']);
  expect(await imagesRunning()).toEqual(Array(4).fill('lifeline-fixture/spacetime:v2.4.9'));
});

test('method 5: image-tag rollback keeps everything but the tag', async () => {
  await upFixtureStack(env.docker, stack, 'v2.5.0', { godot: ['WORLD=alpha'] });
  const h = await env.start('container-rollback', { ...input(), imageTag: 'v2.4.9' });
  const r = (await h.result()) as RollbackResult;
  expect(r.toRelease).toBe('image:v2.4.9');
  expect(await imagesRunning()).toEqual(Array(4).fill('lifeline-fixture/spacetime:v2.4.9'));
  const godot = await env.docker.getContainer(fixtureContainer(stack, stack.services[0])).inspect();
  expect(godot.Config.Env).toEqual(
    expect.arrayContaining(['WORLD=alpha', 'PORT=16151', 'SERVICE=godot', 'FIXTURE_VERSION=v2.4.9']),
  );
  expect(godot.Config.Env).not.toContain('FIXTURE_VERSION=v2.5.0'); // the image's own env comes from the new image
  expect(godot.Config.Labels['com.docker.compose.project']).toBe('methods');
  expect(godot.HostConfig.Init).toBe(true);
});

test('method 5: an image tag that does not exist fails before anything is stopped', async () => {
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  const before = await Promise.all(
    stack.services.map(
      async (s) => (await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).State.StartedAt,
    ),
  );
  const h = await env.start('container-rollback', { ...input(), imageTag: 'v9.9.9' });
  await expect(h.result()).rejects.toMatchObject({
    cause: { message: expect.stringContaining('lifeline-fixture/spacetime:v9.9.9; nothing was changed') },
  });
  const after = await Promise.all(
    stack.services.map(
      async (s) => (await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).State.StartedAt,
    ),
  );
  expect(after).toEqual(before);
  const history = await h.fetchHistory();
  const scheduled = (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter(Boolean);
  expect(scheduled).not.toContain('stopContainers');
  expect(scheduled).not.toContain('replaceWithRelease');
  expect((history.events ?? []).some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false); // no emergency for bad input
});

test('guarded deploy of a good tag deploys and records the release', async () => {
  await recordTag('v2.4.9');
  const h = await env.start('automatic-rollback', { ...input('deploy'), imageTag: 'v2.4.8' });
  const r = (await h.result()) as DeployResult;
  expect(r.status).toBe('deployed');
  expect(await imagesRunning()).toEqual(Array(4).fill('lifeline-fixture/spacetime:v2.4.8'));
  const rel = await new ReleaseStore(env.dataDir).get('methods', r.release);
  expect(rel.imageTags.godot).toBe('v2.4.8');
});

test.each([
  ['v2.5.1', /exited with code 1/],
  ['v2.5.0', /not healthy after 10s/],
])('guarded deploy of %s rolls back automatically, all services together', async (tag, trigger) => {
  const good = await recordTag('v2.4.9');
  const h = await env.start('automatic-rollback', { ...input('deploy'), imageTag: tag });
  const r = (await h.result()) as DeployResult;
  expect(r.status).toBe('rolled-back');
  expect(r.trigger).toMatch(trigger);
  expect(r.rollback?.verification.passed).toBe(true);
  expect(await imagesRunning()).toEqual(Array(4).fill('lifeline-fixture/spacetime:v2.4.9'));
  for (const s of stack.services) expect(await containersOf(env.docker, 'methods', s.name)).toHaveLength(1);
  const releases = await new ReleaseStore(env.dataDir).list('methods');
  expect(releases.find((x) => x.imageTags.godot === tag && x.knownBad)).toBeDefined();
  expect(releases.find((x) => x.id === r.release)?.imageTags.godot).toBe('v2.4.9');
  expect(r.release).not.toBe(good.id); // the deploy recorded the running v2.4.9 afresh before rolling out
});
