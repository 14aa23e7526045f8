/** Evidence and diagnostics: every container's logs and inspect output, disk and memory, with sha256 for each file. */
import type Docker from 'dockerode';
import { Context } from '@temporalio/activity';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResolvedStack } from '../domain/config';
import { assertStackName } from '../domain/names';
import { demuxToLines, DockerActivities } from './docker';
import { privateDir, sha256File, writeFileAtomic } from '../store/files';

export interface EvidenceBundle {
  dir: string;
  files: { name: string; sha256: string; bytes: number }[];
  summary: string[];
}

export function createEvidenceActivities(deps: { docker: Docker; dockerActivities: DockerActivities }) {
  return {
    /**
     * Writes a bundle under <dataDir>/evidence/<stack>/<bundle>/ with a SHA256SUMS manifest.
     * Files already written by an earlier attempt are kept as they are.
     */
    async collectEvidence(stack: ResolvedStack, bundle: string, logLines: number): Promise<EvidenceBundle> {
      const dir = path.join(
        stack.dataDir,
        'evidence',
        assertStackName(stack.name),
        bundle.replace(/[^A-Za-z0-9_.:-]/g, '_'),
      );
      await privateDir(dir);
      const files: EvidenceBundle['files'] = [];
      const put = async (name: string, content: string) => {
        const file = path.join(dir, name);
        const exists = await stat(file).then(
          () => true,
          () => false,
        );
        if (!exists) await writeFileAtomic(file, content);
        files.push({ name, ...(await sha256File(file)) });
      };
      const summary: string[] = [];
      const containers = await deps.dockerActivities.serviceContainers(stack);
      for (const { service, container } of containers) {
        // One file set per container: named by service, and by container too for a scaled service.
        const replicas = containers.filter((c) => c.service === service).length;
        const s = { name: replicas > 1 && container ? `${service}.${container}` : service };
        Context.current().heartbeat(s.name);
        const c = container ? deps.docker.getContainer(container) : undefined;
        const info = await c?.inspect().catch(() => undefined);
        if (!c || !info) {
          summary.push(`${s.name}: no container`);
          continue;
        }
        await put(`${s.name}.inspect.json`, JSON.stringify(info, null, 2));
        const raw = (await c.logs({ stdout: true, stderr: true, tail: logLines, follow: false })) as unknown as Buffer;
        await put(`${s.name}.log`, demuxToLines(raw, Boolean(info.Config.Tty)).join('\n') + '\n');
        let mem = '';
        if (info.State.Running) {
          const st = (await c.stats({ stream: false })) as { memory_stats?: { usage?: number; limit?: number } };
          mem = `, memory ${st.memory_stats?.usage ?? 0}/${st.memory_stats?.limit ?? 0} bytes`;
        }
        summary.push(`${s.name}: ${info.State.Status}/${info.State.Health?.Status ?? 'none'}${mem}`);
      }
      const disk = await deps.dockerActivities.diskUsage();
      const host = {
        totalMemory: os.totalmem(),
        freeMemory: os.freemem(),
        loadavg: os.loadavg(),
        disk,
        containers: await deps.dockerActivities.listAllContainers(),
      };
      await put('host.json', JSON.stringify(host, null, 2));
      summary.push(
        `host: ${Math.round(host.freeMemory / 2 ** 20)} MiB free memory, docker images ${Math.round(disk.images / 2 ** 20)} MiB, volumes ${Math.round(disk.volumes / 2 ** 20)} MiB`,
      );
      await writeFileAtomic(path.join(dir, 'SHA256SUMS'), files.map((f) => `${f.sha256}  ${f.name}`).join('\n') + '\n');
      return { dir, files, summary };
    },
  };
}
