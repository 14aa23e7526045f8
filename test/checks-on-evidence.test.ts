/**
 * Checks tick on evidence only, on the real engine and server: no integrity check is no "No data loss";
 * data-corruption refuses a named release without volume archives before anything stops; a guarded deploy
 * marks known-good only what this procedure verified.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { ResolvedStack } from '../src/domain/config';
import type { ChecklistItem } from '../src/domain/checklist';
import { fixtureContainer, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { ReleaseStore } from '../src/store/release-store';
import type { DeployResult } from '../src/workflows/automatic-rollback';
import { progressQuery } from '../src/workflows/definitions';
import type { RollbackResult } from '../src/workflows/steps/finish-rollback';
import { onCleanup } from './harness/cleanup';
import { createTestEnv, TestEnv } from './harness/env';
import { recordGoodRelease } from './harness/releases';
import { inVolume, LISTING } from './harness/volume';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('evidence');
});
afterAll(async () => {
  await env?.teardown();
});

const input = (stack: ResolvedStack, reason: string) => ({
  stack,
  trigger: 'cli' as const,
  requestedBy: 'test',
  reason,
  severity: 'critical' as const,
});

/** An empty volume, removed after the test. */
async function freshVolume(name: string): Promise<string> {
  await env.docker
    .getVolume(name)
    .remove({ force: true })
    .catch(() => undefined);
  await env.docker.createVolume({ Name: name });
  onCleanup(() => env.docker.getVolume(name).remove({ force: true }));
  return name;
}

async function itemOf(h: WorkflowHandle, item: ChecklistItem) {
  return (await h.query(progressQuery)).checklist.find((e) => e.item === item);
}

async function scheduledActivities(h: WorkflowHandle): Promise<string[]> {
  const history = await h.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((n): n is string => Boolean(n));
}

describe('data corruption', () => {
  test('without an integrity check, "No data loss" is skipped with the reason, never done', async () => {
    const volume = await freshVolume('lifeline-test-evidence-nocheck');
    const stack = env.stack('ev-nocheck', {
      ports: [16501],
      services: ['godot'],
      config: { volumes: [volume], backupVolumes: true },
    });
    await inVolume(env.docker, volume, 'echo good > /data/save');
    const good = await recordGoodRelease(env, stack);
    await inVolume(env.docker, volume, 'echo CORRUPT > /data/save');

    const h = await env.start('data-corruption', { ...input(stack, 'corrupt saves'), releaseId: good.id });
    const result = (await h.result()) as RollbackResult;
    expect(result.status).toBe('completed');
    expect(await inVolume(env.docker, volume, 'cat /data/save')).toBe('good');
    expect(await itemOf(h, 'No data loss')).toMatchObject({
      state: 'skipped',
      note: 'no integrity check configured (integrityCheck)',
    });
    // The snapshot is the backup, and says what it holds.
    expect((await itemOf(h, 'Backup of current state created'))?.note).toMatch(
      new RegExp(`^${volume} sha256:[0-9a-f]{12}$`),
    );
    expect(result.verification.checks.map((c) => c.name)).not.toContain('data integrity');
    expect(await scheduledActivities(h)).not.toContain('checkIntegrity');
  });

  test('--release naming a release without volume archives is refused before anything stops', async () => {
    const volume = await freshVolume('lifeline-test-evidence-noarch');
    // Volumes configured but not archived: the release holds containers and config only.
    const stack = env.stack('ev-noarch', {
      ports: [16511],
      services: ['godot'],
      config: { volumes: [volume], backupVolumes: false },
    });
    await inVolume(env.docker, volume, 'echo current > /data/save');
    const containersOnly = await recordGoodRelease(env, stack);
    expect(containersOnly.volumes).toBe(0);
    const listing = await inVolume(env.docker, volume, LISTING);
    const container = () => env.docker.getContainer(fixtureContainer(stack, stack.services[0])).inspect();
    const startedAt = (await container()).State.StartedAt;

    const h = await env.start('data-corruption', { ...input(stack, 'corrupt saves'), releaseId: containersOnly.id });
    const failure = await h.result().then(
      () => undefined,
      (err) => err,
    );
    expect(failure?.cause?.message).toBe(
      `release ${containersOnly.id} has no volume archives; data corruption restores the volumes from a release's archives; nothing was changed`,
    );
    // Nothing stopped, snapshotted or restored.
    expect((await container()).State).toMatchObject({ Running: true, StartedAt: startedAt });
    expect(await inVolume(env.docker, volume, LISTING)).toBe(listing);
    const scheduled = await scheduledActivities(h);
    for (const t of ['stopContainers', 'snapshotVolumes', 'restoreVolumeArchive']) expect(scheduled).not.toContain(t);
  });
});

describe('guarded deploy', () => {
  test('marks the deployed state known-good from its own checks, and the state before it not at all', async () => {
    const stack = env.stack('ev-deploy', { ports: [16521, 16522], services: ['godot', 'api'] });
    // Running, but never verified nor vouched for.
    await upFixtureStack(env.docker, stack, 'v2.4.9');
    await waitFixtureHealthy(env.docker, stack);

    const h = await env.start('automatic-rollback', { ...input(stack, 'deploy'), imageTag: 'v2.4.8' });
    const r = (await h.result()) as DeployResult;
    expect(r.status).toBe('deployed');
    const releases = await new ReleaseStore(env.dataDir).list('ev-deploy');
    // Moving forward leaves the state before unjudged: neither known-good nor rolled back from.
    expect(releases.find((x) => x.imageTags.godot === 'v2.4.9')).toMatchObject({
      knownGood: false,
      knownBad: false,
      rolledBackFrom: false,
    });
    expect(releases.find((x) => x.id === r.release)).toMatchObject({
      imageTags: { godot: 'v2.4.8' },
      knownGood: true,
      fact: { by: h.workflowId, reason: 'deploy verified: 2/2 services healthy, 2 smoke test(s) passed' },
    });
  });

  test('keeps what an earlier verification found about the state before it', async () => {
    const stack = env.stack('ev-vouched', { ports: [16531, 16532], services: ['godot', 'api'] });
    const vouched = await recordGoodRelease(env, stack);

    const h = await env.start('automatic-rollback', { ...input(stack, 'deploy'), imageTag: 'v2.4.8' });
    expect(await h.result()).toMatchObject({ status: 'deployed' });
    const before = (await new ReleaseStore(env.dataDir).list('ev-vouched')).find((x) => x.id === vouched.id);
    expect(before).toMatchObject({ knownGood: true, fact: { by: 'test', reason: 'vouched for: good v2.4.9' } });
  });

  test('a failed deploy: the state before becomes known-good only by the rollback verification', async () => {
    const volume = await freshVolume('lifeline-test-evidence-deploy');
    const stack = env.stack('ev-rollback', {
      ports: [16541, 16542],
      services: ['godot', 'api'],
      config: { volumes: [volume], backupVolumes: false },
    });
    await upFixtureStack(env.docker, stack, 'v2.4.9');
    await waitFixtureHealthy(env.docker, stack);

    const h = await env.start('automatic-rollback', { ...input(stack, 'deploy'), imageTag: 'v2.5.1' });
    const r = (await h.result()) as DeployResult;
    expect(r).toMatchObject({ status: 'rolled-back', rollback: { verification: { passed: true } } });
    const releases = await new ReleaseStore(env.dataDir).list('ev-rollback');
    expect(releases.find((x) => x.id === r.release)).toMatchObject({
      imageTags: { godot: 'v2.4.9' },
      knownGood: true,
      fact: { by: h.workflowId, reason: expect.stringMatching(/^verified: /) },
    });
    expect(releases.find((x) => x.id === r.rollback?.fromRelease)).toMatchObject({ knownBad: true });
    // The failed state's record is its whole backup: this stack archives no volumes.
    expect(await itemOf(h, 'Backup of current state created')).toMatchObject({
      state: 'done',
      note: `${r.rollback?.fromRelease}: containers and config; volumes are not archived (backupVolumes)`,
    });
  });
});
