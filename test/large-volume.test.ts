/**
 * A 2 GiB volume through a release backup, the data-corruption snapshot and the restore, with a 2 s heartbeat
 * timeout that each of those steps outlasts: heartbeats keep flowing while archiving, hashing,
 * wiping and extracting, so each long step completes in its first attempt. Archives are private (0600).
 */
import { statSync } from 'node:fs';
import { ReleaseStore } from '../src/store/release-store';
import type { ReleaseSummary } from '../src/domain/release';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { createTestEnv, FAST_TIMEOUTS, TestEnv } from './harness/env';
import { inVolume } from './harness/volume';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';

const VOLUME = 'lifeline-test-large';
const PORTS = [19751];
let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv('large-volume');
  await env.docker
    .getVolume(VOLUME)
    .remove({ force: true })
    .catch(() => undefined);
  await env.docker.createVolume({ Name: VOLUME });
});
afterAll(async () => {
  await env.docker
    .getVolume(VOLUME)
    .remove({ force: true })
    .catch(() => undefined);
  await env?.teardown();
});

/** Attempts of each activity type that ran in a workflow, from its history. */
async function attempts(h: WorkflowHandle): Promise<Record<string, number[]>> {
  const events = (await h.fetchHistory()).events ?? [];
  const types = new Map(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType!.name!]),
  );
  const out: Record<string, number[]> = {};
  for (const e of events) {
    const started = e.activityTaskStartedEventAttributes;
    if (!started) continue;
    const type = types.get(String(started.scheduledEventId))!;
    (out[type] ??= []).push(started.attempt ?? 1);
  }
  return out;
}

test('2 GiB: backup, snapshot and restore each complete in their first attempt, and the data comes back exactly', async () => {
  // 128 MiB that does not compress, the rest zeros: 2 GiB on disk.
  const SUM = 'cd /data && sha256sum big.bin random.bin | cut -c1-64';
  await inVolume(
    env.docker,
    VOLUME,
    'head -c 134217728 /dev/urandom > /data/random.bin && head -c 2013265920 /dev/zero > /data/big.bin && echo good > /data/state',
  );
  const good = await inVolume(env.docker, VOLUME, SUM);
  const stack = env.stack('large', {
    ports: PORTS,
    services: ['godot'],
    config: {
      volumes: [VOLUME],
      backupVolumes: true,
      timeouts: { ...FAST_TIMEOUTS, activityHeartbeatSeconds: 2 },
      integrityCheck: { type: 'http', url: `http://127.0.0.1:${PORTS[0]}/status/` },
    },
  });
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);

  const b = await env.start('backup', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'good with data',
    knownGood: true,
  });
  const { release } = (await b.result()) as { release: ReleaseSummary };
  expect(release.volumes).toBe(1);
  expect((await attempts(b)).recordRelease).toEqual([1]);
  const stored = await new ReleaseStore(env.dataDir).get('large', release.id);
  const archive = path.join(new ReleaseStore(env.dataDir).releaseDir('large', release.id), stored.volumes[0].archive);
  expect(statSync(archive).mode & 0o777).toBe(0o600);

  await inVolume(env.docker, VOLUME, 'echo CORRUPT > /data/state && head -c 1000 /dev/urandom > /data/big.bin');
  const h = await env.start('data-corruption', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'corrupt saves',
    releaseId: release.id,
  });
  expect(await h.result()).toMatchObject({ status: 'completed' });
  const tried = await attempts(h);
  expect(tried.snapshotVolumes).toEqual([1]);
  expect(tried.restoreVolumeArchive).toEqual([1]);
  expect(await inVolume(env.docker, VOLUME, SUM)).toBe(good);
  expect(await inVolume(env.docker, VOLUME, 'cat /data/state')).toBe('good');
  await removeFixtureStack(env.docker, stack);
}, 600_000);
