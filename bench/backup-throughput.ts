/** Backup and restore throughput of a 1 GiB volume of mixed files, against plain tar + gzip -1 on the same data. */
import axios from 'axios';
import { MockActivityEnvironment } from '@temporalio/testing';
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createHostActivities } from '../src/activities';
import type { VolumeArchive } from '../src/activities/volumes';
import { inVolume } from '../test/harness/volume';
import { BenchEnv, ms, now, report, WORK } from './lib';

const run = promisify(execFile);
const VOLUME = 'lifeline-bench-1g';
const MiB = 2 ** 20;

export async function backupThroughput(env: BenchEnv): Promise<void> {
  await env.docker
    .getVolume(VOLUME)
    .remove({ force: true })
    .catch(() => undefined);
  await env.docker.createVolume({ Name: VOLUME });
  // 512 MiB of random data in 64 files, 512 MiB of text in 2048 files: saves and logs.
  await inVolume(
    env.docker,
    VOLUME,
    'mkdir -p /data/bin /data/txt; i=0; while [ $i -lt 64 ]; do head -c 8388608 /dev/urandom > /data/bin/f$i; i=$((i+1)); done',
  );
  await inVolume(
    env.docker,
    VOLUME,
    'i=0; line="player=12345 x=1.25 y=-3.5 z=8.0 event=move level=7 $(date)"; while [ $i -lt 2048 ]; do yes "$line $i" | head -c 262144 > /data/txt/f$i; i=$((i+1)); done',
  );
  const { Mountpoint } = await env.docker.getVolume(VOLUME).inspect();
  const acts = createHostActivities({ docker: env.docker, host: env.host, http: axios.create() });
  const mock = new MockActivityEnvironment();
  const dir = path.join(WORK, 'backup');
  mkdirSync(dir, { recursive: true });
  const dataBytes = Number((await run('du', ['-sb', Mountpoint])).stdout.split('\t')[0]);

  const t0 = now();
  const archive = (await mock.run(acts.backupVolume, VOLUME, path.join(dir, 'lifeline.tar.gz'))) as VolumeArchive;
  const lifelineBackup = ms(t0);
  const verify = (await mock.run(acts.verifyArchive, archive.archive, archive.sha256)) as { ok: boolean };

  const t1 = now();
  await run('bash', ['-c', `tar -C '${Mountpoint}' -cf - . | gzip -1 > '${dir}/tar.tar.gz'`], { maxBuffer: 1 << 20 });
  const tarBackup = ms(t1);

  const t2 = now();
  await mock.run(acts.restoreVolume, VOLUME, archive.archive, archive.sha256);
  const lifelineRestore = ms(t2);

  const scratch = path.join(dir, 'restore');
  mkdirSync(scratch, { recursive: true });
  const t3 = now();
  await run('bash', ['-c', `tar -C '${scratch}' -xzf '${dir}/tar.tar.gz'`]);
  const tarRestore = ms(t3);

  const mbps = (t: number) => Number((dataBytes / MiB / (t / 1000)).toFixed(1));
  report(
    'backup-throughput',
    [
      {
        op: 'backup',
        lifelineMBps: mbps(lifelineBackup),
        tarMBps: mbps(tarBackup),
        ratio: Number((tarBackup / lifelineBackup).toFixed(2)),
        lifelineMs: Math.round(lifelineBackup),
        tarMs: Math.round(tarBackup),
      },
      {
        op: 'restore',
        lifelineMBps: mbps(lifelineRestore),
        tarMBps: mbps(tarRestore),
        ratio: Number((tarRestore / lifelineRestore).toFixed(2)),
        lifelineMs: Math.round(lifelineRestore),
        tarMs: Math.round(tarRestore),
      },
    ],
    {
      dataMiB: Math.round(dataBytes / MiB),
      lifelineArchiveMiB: Math.round(statSync(archive.archive).size / MiB),
      tarArchiveMiB: Math.round(statSync(`${dir}/tar.tar.gz`).size / MiB),
      checksumVerified: verify.ok,
      target: 'ratio ≥ 0.9 (Lifeline at least 90% of tar throughput)',
    },
  );
  rmSync(dir, { recursive: true, force: true });
  await env.docker.getVolume(VOLUME).remove({ force: true });
}
