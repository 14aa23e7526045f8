/**
 * Backup and restore of a 1 GiB volume of mixed files, against the docker CLI with the same compression:
 * both sides read and write the volume through the same path, the engine's archive API on a helper container
 * (`docker cp` is that API's client), and both compress with gzip level 1. Rounds alternate which goes first.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createVolumeActivities } from '../src/activities/volumes';
import { TOOLBOX_IMAGE, type VolumeArchive } from '../src/activities/volumes';
import { inVolume, LISTING } from '../test/harness/volume';
import { alternate, BenchEnv, median, ms, now, report, WORK } from './lib';

const run = promisify(execFile);
const VOLUME = 'lifeline-bench-1g';
const HELPER = 'lifeline-bench-cp';
const MiB = 2 ** 20;
const ROUNDS = 7;

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
  const listing = await inVolume(env.docker, VOLUME, LISTING);
  const { Mountpoint } = await env.docker.getVolume(VOLUME).inspect();
  const dataBytes = Number((await run('du', ['-sb', Mountpoint])).stdout.split('\t')[0]);
  // The volume operations behind the registered backup and restore activities.
  const acts = createVolumeActivities({ docker: env.docker });
  const mock = new MockActivityEnvironment();
  const dir = path.join(WORK, 'backup');
  mkdirSync(dir, { recursive: true });
  const sh = (script: string) => run('bash', ['-c', `set -o pipefail; ${script}`]);
  await sh(`docker rm -f ${HELPER} >/dev/null 2>&1; true`);
  await sh(`docker create --name ${HELPER} --network none -v ${VOLUME}:/data ${TOOLBOX_IMAGE} true >/dev/null`);

  const times = { lifelineBackup: [] as number[], cliBackup: [] as number[] };
  const restores = { lifeline: [] as number[], cli: [] as number[] };
  const lifelineArchive = path.join(dir, 'lifeline.tar.gz');
  const cliArchive = path.join(dir, 'cli.tar.gz');
  let archive: VolumeArchive | undefined;
  try {
    await alternate(
      ROUNDS,
      async () => {
        rmSync(lifelineArchive, { force: true });
        rmSync(`${lifelineArchive}.sha256.json`, { force: true });
        const t0 = now();
        archive = (await mock.run(acts.backupVolume, VOLUME, lifelineArchive)) as VolumeArchive;
        times.lifelineBackup.push(ms(t0));
      },
      async () => {
        const t0 = now();
        await sh(`docker cp ${HELPER}:/data/. - | gzip -1 > '${cliArchive}'`);
        times.cliBackup.push(ms(t0));
      },
    );
    await alternate(
      ROUNDS,
      async () => {
        const t0 = now();
        await mock.run(acts.restoreVolume, VOLUME, archive!.archive, archive!.sha256);
        restores.lifeline.push(ms(t0));
      },
      async () => {
        const t0 = now();
        await sh(`gzip -dc '${cliArchive}' | docker cp - ${HELPER}:/data`);
        restores.cli.push(ms(t0));
      },
    );
    // Both sides wrote the same files back: the restore is a restore.
    if ((await inVolume(env.docker, VOLUME, LISTING)) !== listing) throw new Error('the restored volume differs');
  } finally {
    await sh(`docker rm -f ${HELPER} >/dev/null`);
  }

  const mbps = (t: number) => Number((dataBytes / MiB / (t / 1000)).toFixed(1));
  const row = (op: string, lifeline: number[], cli: number[]) => ({
    op,
    lifelineMBps: mbps(median(lifeline)),
    cliMBps: mbps(median(cli)),
    ratio: Number((median(cli) / median(lifeline)).toFixed(2)),
    lifelineRunsMs: lifeline.map(Math.round).join(' '),
    cliRunsMs: cli.map(Math.round).join(' '),
  });
  report(
    'backup-throughput',
    [
      row('backup (docker cp | gzip -1)', times.lifelineBackup, times.cliBackup),
      row('restore (gzip -dc | docker cp -)', restores.lifeline, restores.cli),
    ],
    {
      dataMiB: Math.round(dataBytes / MiB),
      lifelineArchiveMiB: Math.round(statSync(lifelineArchive).size / MiB),
      cliArchiveMiB: Math.round(statSync(cliArchive).size / MiB),
      target: `ratio ≥ 0.9 (Lifeline's throughput over the docker CLI's, medians of ${ROUNDS})`,
      path: 'both through the engine archive API of a helper container with the volume at /data',
    },
  );
  rmSync(dir, { recursive: true, force: true });
  await env.docker.getVolume(VOLUME).remove({ force: true });
}
