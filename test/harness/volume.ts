/** Runs shell commands against a Docker volume in a throwaway toolbox container. */
import type Docker from 'dockerode';
import { demuxToLines } from '../../src/activities/docker';
import { TOOLBOX_IMAGE } from '../../src/activities/volumes';

export async function inVolume(docker: Docker, volume: string, script: string): Promise<string> {
  const c = await docker.createContainer({
    Image: TOOLBOX_IMAGE,
    Cmd: ['/bin/sh', '-c', script],
    HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volume, Target: '/data' }] },
  });
  await c.start();
  await c.wait();
  const out = (await c.logs({ stdout: true, stderr: true })) as unknown as Buffer;
  await c.remove({ force: true });
  return demuxToLines(out, false).join('\n');
}

/** "./path sha256-prefix" per file, sorted: equal listings mean equal contents. */
export const LISTING =
  'cd /data && find . -type f | sort | while read f; do echo "$f $(sha256sum < "$f" | cut -c1-16)"; done';
