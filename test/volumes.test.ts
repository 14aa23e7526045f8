/** Volume archives and config copies in releases: streamed, checksummed, never overwritten, verified before restore. */
import axios from 'axios';
import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHostActivities } from '../src/activities';
import { createVolumeActivities } from '../src/activities/volumes';
import type { VolumeArchive } from '../src/activities/volumes';
import { ReleaseStore } from '../src/store/release-store';
import type { ReleaseSummary } from '../src/domain/release';
import { upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { createTestEnv, TestEnv } from './harness/env';
import { TEST_DIR } from './harness/paths';
import { inVolume as inVolumeOf, LISTING } from './harness/volume';

const VOLUME = 'lifeline-test-data';
let env: TestEnv;
let acts: ReturnType<typeof createHostActivities>;
// The volume operations behind the registered activities (they are not registered themselves).
let volumeOps: ReturnType<typeof createVolumeActivities>;
const mock = new MockActivityEnvironment();
const backup = (volume: string, archive: string) =>
  mock.run(volumeOps.backupVolume, volume, archive) as Promise<VolumeArchive>;

beforeAll(async () => {
  env = await createTestEnv('volumes');
  acts = createHostActivities({ docker: env.docker, host: env.host, http: axios.create() });
  volumeOps = createVolumeActivities({ docker: env.docker });
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

const inVolume = (script: string) => inVolumeOf(env.docker, VOLUME, script);

test('backup, then restore after damage: the volume is back byte for byte', async () => {
  await inVolume(
    'mkdir -p /data/worlds/alpha && echo save-1 > /data/worlds/alpha/state.json && head -c 300000 /dev/urandom > /data/blob.bin && echo hidden > /data/.dotfile',
  );
  const original = await inVolume(LISTING);
  expect(original.split('\n')).toHaveLength(3);
  const dir = mkdtempSync(path.join(TEST_DIR, 'vol-'));
  const archive = path.join(dir, 'data.tar.gz');
  const first = await backup(VOLUME, archive);
  const mtime = statSync(archive).mtimeMs;
  const again = await backup(VOLUME, archive);
  expect(again).toEqual(first); // a retry finds the verified archive and leaves it alone
  expect(statSync(archive).mtimeMs).toBe(mtime);

  await inVolume('echo CORRUPTED > /data/worlds/alpha/state.json && rm /data/blob.bin && echo junk > /data/new-file');
  await mock.run(volumeOps.restoreVolume, VOLUME, archive, first.sha256);
  expect(await inVolume(LISTING)).toBe(original);
});

test('a flipped byte in the archive is caught and the volume is left untouched', async () => {
  const dir = mkdtempSync(path.join(TEST_DIR, 'vol-'));
  const archive = path.join(dir, 'data.tar.gz');
  const good = await backup(VOLUME, archive);
  const bytes = readFileSync(archive);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  writeFileSync(archive, bytes);
  await inVolume('echo current > /data/marker');
  const before = await inVolume(LISTING);
  await expect(mock.run(volumeOps.restoreVolume, VOLUME, archive, good.sha256)).rejects.toMatchObject({
    type: 'ChecksumMismatch',
    nonRetryable: true,
  });
  expect(await inVolume(LISTING)).toBe(before);
  expect(await mock.run(volumeOps.verifyArchive, archive, good.sha256)).toMatchObject({ ok: false });
  // and a fresh backup does not trust the damaged archive: it writes a good one
  const fresh = await backup(VOLUME, archive);
  expect(await mock.run(volumeOps.verifyArchive, archive, fresh.sha256)).toMatchObject({ ok: true });
});

test('a release records config files and volume archives with their sha256', async () => {
  const cfgDir = mkdtempSync(path.join(TEST_DIR, 'cfg-'));
  writeFileSync(path.join(cfgDir, 'docker-compose.yml'), 'services: {}\n');
  writeFileSync(path.join(cfgDir, '.env'), 'IMAGE_TAG=v2.4.9\n');
  const stack = env.stack('vols', {
    ports: [16181],
    services: ['godot'],
    config: {
      configFiles: [path.join(cfgDir, 'docker-compose.yml'), path.join(cfgDir, '.env')],
      volumes: [VOLUME],
      backupVolumes: true,
    },
  });
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  const h = await env.start('backup', { stack, trigger: 'cli', requestedBy: 'test', reason: 'with data' });
  const { release } = (await h.result()) as { release: ReleaseSummary };
  const full = await new ReleaseStore(env.dataDir).get('vols', release.id);
  expect(full.configFiles.map((f) => path.basename(f.source))).toEqual(['docker-compose.yml', '.env']);
  expect(full.volumes).toEqual([
    expect.objectContaining({ volume: VOLUME, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
  ]);
  const archivePath = path.join(new ReleaseStore(env.dataDir).releaseDir('vols', release.id), full.volumes[0].archive);
  expect(await mock.run(volumeOps.verifyArchive, archivePath, full.volumes[0].sha256)).toMatchObject({ ok: true });

  // Config files come back from the release, checked.
  writeFileSync(path.join(cfgDir, '.env'), 'IMAGE_TAG=v2.5.0\n');
  await mock.run(acts.restoreConfigFiles, stack, release.id);
  expect(readFileSync(path.join(cfgDir, '.env'), 'utf8')).toBe('IMAGE_TAG=v2.4.9\n');
});
