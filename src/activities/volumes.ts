/** Volume backup and restore, streamed through a helper container, with sha256 checks. */
import type Docker from 'dockerode';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedStack } from '../domain/config';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createReadStream } from 'node:fs';
import { assertStackName } from '../domain/names';
import { dockerFailure, statusCodeOf } from './errors';
import { privateDir, sha256File, writeFileAtomic } from '../store/files';
import { heartbeating } from './heartbeat';
import { createParallelGzip } from './parallel-gzip';

export const TOOLBOX_IMAGE = 'lifeline/toolbox:1';
const MOUNT_POINT = '/data';

export interface VolumeArchive {
  volume: string;
  archive: string;
  sha256: string;
  bytes: number;
}

export function createVolumeActivities(deps: { docker: Docker }) {
  const { docker } = deps;

  async function withHelper<T>(
    volume: string,
    cmd: string[] | undefined,
    fn: (c: Docker.Container) => Promise<T>,
  ): Promise<T> {
    let container: Docker.Container;
    try {
      await docker.getVolume(volume).inspect();
    } catch (err) {
      if (statusCodeOf(err) === 404)
        throw ApplicationFailure.nonRetryable(`volume ${volume} does not exist`, 'BadInput');
      throw dockerFailure(`inspect volume ${volume}`, err);
    }
    try {
      container = await docker.createContainer({
        Image: TOOLBOX_IMAGE,
        Cmd: cmd ?? ['/bin/busybox', 'true'],
        Labels: { 'lifeline.helper': 'volume' },
        HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volume, Target: MOUNT_POINT }] },
      });
    } catch (err) {
      throw dockerFailure(`create helper for ${volume}`, err);
    }
    try {
      return await fn(container);
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  /** sha256 of a (large) file, heartbeating while it reads. */
  const hashing = (file: string) =>
    heartbeating(
      () => ({ hashing: path.basename(file) }),
      (signal) => sha256File(file, signal),
    );

  /** Reads a `<archive>.sha256` sidecar and checks the archive against it. */
  async function verifiedArchive(archive: string): Promise<VolumeArchive | undefined> {
    let recorded: { volume: string; sha256: string; bytes: number };
    try {
      recorded = JSON.parse(await readFile(`${archive}.sha256.json`, 'utf8'));
    } catch {
      return undefined;
    }
    const actual = await hashing(archive).catch(() => undefined);
    if (!actual || actual.sha256 !== recorded.sha256) return undefined;
    return { volume: recorded.volume, archive, sha256: actual.sha256, bytes: actual.bytes };
  }

  /**
   * Archives a volume's contents to `archive` (tar.gz) and records its sha256 beside it.
   * An archive that already exists and verifies is kept as it is: a retry never overwrites a good backup.
   */
  async function backupVolume(volume: string, archive: string): Promise<VolumeArchive> {
    const existing = await verifiedArchive(archive);
    if (existing) return existing;
    await privateDir(path.dirname(archive));
    // Each attempt writes its own partial file: a retry never appends to, or renames, another attempt's.
    const tmp = `${archive}.partial-${Context.current().info.attempt}-${randomUUID().slice(0, 8)}`;
    return withHelper(volume, undefined, async (helper) => {
      const hash = createHash('sha256');
      let bytes = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      try {
        await heartbeating(
          () => ({ volume, bytes }),
          async (signal) => {
            const tar = (await helper.getArchive({ path: `${MOUNT_POINT}/.` })) as NodeJS.ReadableStream;
            await pipeline(
              tar,
              createParallelGzip({ level: 1 }),
              tap,
              createWriteStream(tmp, { mode: 0o600, highWaterMark: 1 << 20 }),
              { signal },
            );
          },
        );
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      const sha256 = hash.digest('hex');
      await rename(tmp, archive);
      await writeFileAtomic(`${archive}.sha256.json`, JSON.stringify({ volume, sha256, bytes }));
      return { volume, archive, sha256, bytes };
    });
  }

  return {
    backupVolume,

    /**
     * The emergency snapshot: every listed volume archived under <dataDir>/emergency/<stack>/<bundle>/,
     * each checked against its checksum after writing. An earlier attempt's verified archives are kept.
     */
    async snapshotVolumes(stack: ResolvedStack, bundle: string): Promise<VolumeArchive[]> {
      const dir = path.join(
        stack.dataDir,
        'emergency',
        assertStackName(stack.name),
        bundle.replace(/[^A-Za-z0-9_.:-]/g, '_'),
      );
      const out: VolumeArchive[] = [];
      for (const v of stack.volumes) {
        const archive = await backupVolume(v, path.join(dir, `${v}.tar.gz`));
        if ((await hashing(archive.archive)).sha256 !== archive.sha256) {
          throw ApplicationFailure.create({ message: `snapshot of ${v} does not verify`, type: 'SnapshotFailed' });
        }
        out.push(archive);
      }
      return out;
    },

    /** Checks an archive against the sha256 it must have. Never throws for a mismatch: the caller decides. */
    async verifyArchive(archive: string, sha256: string): Promise<{ ok: boolean; actual?: string }> {
      try {
        await access(archive);
      } catch {
        return { ok: false };
      }
      const actual = await hashing(archive);
      return { ok: actual.sha256 === sha256, actual: actual.sha256 };
    },

    /**
     * Replaces a volume's contents with an archive. The archive's checksum is verified first;
     * nothing in the volume is touched if it does not match.
     */
    async restoreVolume(volume: string, archive: string, sha256: string): Promise<{ bytes: number }> {
      const actual = await hashing(archive).catch(() => undefined);
      if (!actual || actual.sha256 !== sha256) {
        throw ApplicationFailure.create({
          message: `archive ${path.basename(archive)} fails its checksum (expected ${sha256.slice(0, 12)}, got ${actual?.sha256.slice(0, 12) ?? 'missing'}); volume ${volume} left untouched`,
          type: 'ChecksumMismatch',
          nonRetryable: true,
        });
      }
      const wipe = [
        '/bin/busybox',
        'find',
        MOUNT_POINT,
        '-mindepth',
        '1',
        '-maxdepth',
        '1',
        '-exec',
        '/bin/busybox',
        'rm',
        '-rf',
        '{}',
        '+',
      ];
      await withHelper(volume, wipe, async (helper) => {
        const res = await heartbeating(
          () => ({ volume, phase: 'wiping' }),
          async () => {
            await helper.start();
            return (await helper.wait()) as { StatusCode: number };
          },
        );
        if (res.StatusCode !== 0)
          throw ApplicationFailure.create({
            message: `wiping ${volume} exited ${res.StatusCode}`,
            type: 'RestoreFailed',
          });
        await heartbeating(
          () => ({ volume, phase: 'extracting' }),
          (signal) => helper.putArchive(createReadStream(archive, { signal }), { path: MOUNT_POINT }),
        );
      });
      return { bytes: actual.bytes };
    },
  };
}

export type VolumeActivities = ReturnType<typeof createVolumeActivities>;
