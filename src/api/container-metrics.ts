/**
 * What Prometheus cannot see by itself: each configured stack's containers, their memory against their
 * limit, restarts and running state, read from the Docker engine when /metrics is scraped. The runbook's
 * "memory > 95 %" and crash-loop rules (deploy/prometheus/lifeline-rules.yml) use these.
 */
import type Docker from 'dockerode';
import { Gauge, Registry } from 'prom-client';
import { createDockerActivities } from '../activities/docker';
import { hasStack, LifelineConfig, resolveStack } from '../domain/config';

interface ContainerSample {
  labels: { stack: string; service: string; container: string };
  usageBytes?: number;
  limitBytes: number;
  restarts: number;
  running: boolean;
}

/** One engine sweep serves every gauge of a scrape (they collect one after another). */
const SAMPLE_REUSE_MS = 1000;

export function registerContainerMetrics(
  registry: Registry,
  docker: Docker,
  config: LifelineConfig,
  onError: (err: unknown) => void,
): void {
  const { serviceContainers } = createDockerActivities(docker);
  let last: { at: number; samples: Promise<ContainerSample[]> } | undefined;

  async function sweep(): Promise<ContainerSample[]> {
    const samples: ContainerSample[] = [];
    for (const name of Object.keys(config.stacks).filter((n) => hasStack(config, n))) {
      const stack = resolveStack(config, name);
      for (const { service, container } of await serviceContainers(stack)) {
        if (!container) continue;
        const c = docker.getContainer(container);
        const info = await c.inspect().catch(() => undefined);
        if (!info) continue;
        const running = info.State.Running;
        // One-shot stats: no second sample for CPU, so a scrape stays fast.
        const stats = running
          ? await c.stats({ stream: false, 'one-shot': true } as { stream: false }).catch(() => undefined)
          : undefined;
        const mem = stats?.memory_stats as { usage?: number; stats?: Record<string, number> } | undefined;
        // As `docker stats` shows it: the page cache the kernel can reclaim is not the service's memory.
        const cache = mem?.stats?.inactive_file ?? mem?.stats?.total_inactive_file ?? 0;
        samples.push({
          labels: { stack: name, service, container },
          usageBytes: mem?.usage === undefined ? undefined : Math.max(0, mem.usage - cache),
          limitBytes: info.HostConfig.Memory ?? 0,
          restarts: info.RestartCount ?? 0,
          running,
        });
      }
    }
    return samples;
  }

  function samples(): Promise<ContainerSample[]> {
    if (!last || Date.now() - last.at > SAMPLE_REUSE_MS)
      last = { at: Date.now(), samples: sweep().catch((err) => (onError(err), [])) };
    return last.samples;
  }

  const gauge = (name: string, help: string, value: (s: ContainerSample) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['stack', 'service', 'container'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of await samples()) {
          const v = value(s);
          if (v !== undefined) this.set(s.labels, v);
        }
      },
    });
  gauge(
    'lifeline_container_memory_usage_bytes',
    'Memory a stack container uses, without reclaimable page cache (Docker stats API)',
    (s) => s.usageBytes,
  );
  gauge(
    'lifeline_container_memory_limit_bytes',
    "A stack container's memory limit; 0 when it has none",
    (s) => s.limitBytes,
  );
  gauge('lifeline_container_restarts_total', 'Times Docker restarted the container (RestartCount)', (s) => s.restarts);
  gauge('lifeline_container_running', '1 when the container is running', (s) => (s.running ? 1 : 0));
}
