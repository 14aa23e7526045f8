/** Activities that judge whether a stack is well: health polling, smoke tests, status API, metrics, error logs. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AxiosInstance } from 'axios';
import type { ResolvedStack } from '../domain/config';
import { CheckResult, evaluateMetric, evaluateSmokeTest, jsonPathGet, matchErrorLines } from '../domain/smoke';
import type { DockerActivities, ServiceState } from './docker';
import { onPort } from '../domain/ingress';

export interface HealthWaitOptions {
  timeoutSeconds: number;
  stableSeconds: number;
  pollMs?: number;
  /** Only these services (a compose `service_healthy` dependency waited for before its dependents). */
  services?: string[];
  /** The blue environment of a blue-green stack instead of the stack's own services. */
  environment?: 'blue';
}

export interface HealthReport {
  healthy: number;
  total: number;
  elapsedMs: number;
  services: (ServiceState & { probeOk?: boolean })[];
}

/** Error lines kept per scan, and characters kept per line. */
const ERROR_LINES_KEPT = 100;
const ERROR_LINE_CHARS = 1000;

export function createHealthActivities(deps: { docker: DockerActivities; http: AxiosInstance }) {
  const { docker, http } = deps;

  async function probe(url: string, timeoutMs: number): Promise<boolean> {
    try {
      const res = await http.get(url, { timeout: timeoutMs, validateStatus: () => true, responseType: 'text' });
      return res.status >= 200 && res.status < 300;
    } catch {
      return false;
    }
  }

  async function observe(stack: ResolvedStack): Promise<HealthReport['services']> {
    const states = await docker.inspectStack(stack);
    return Promise.all(
      states.map(async (s) => {
        const configured = stack.services.find((x) => x.name === s.service)?.healthUrl;
        // Behind an ingress a service listens on one of two ports in turn: probe the one it is on.
        const url = configured && s.port ? onPort(configured, s.port) : configured;
        // The HTTP probe sees health before Docker's healthcheck interval comes round, and sees flapping
        // between two of Docker's checks; Docker's "unhealthy" always wins.
        const probeOk = s.running && url && s.health !== 'unhealthy' ? await probe(url, 1000) : undefined;
        return { ...s, probeOk };
      }),
    );
  }

  /** The part of the stack a health wait watches. */
  async function watched(stack: ResolvedStack, opts: HealthWaitOptions): Promise<ResolvedStack> {
    if (opts.environment === 'blue') {
      const blue = await docker.containersOfProject(stack, 'blue');
      return {
        ...stack,
        project: stack.blueGreen!.blue.project,
        services: blue.map((c) => ({ name: c.service || c.name, container: c.name, appImage: true, stopFirst: false })),
      };
    }
    const only = opts.services;
    return only ? { ...stack, services: stack.services.filter((s) => only.includes(s.name)) } : stack;
  }

  const isHealthy = (s: HealthReport['services'][number]) =>
    s.running && s.health !== 'unhealthy' && (s.probeOk ?? (s.health === 'healthy' || s.health === 'none'));

  return {
    /**
     * Polls until every service is running and healthy, continuously for `stableSeconds`.
     * A container that has exited fails at once: it will not become healthy by waiting.
     */
    async waitForStackHealthy(whole: ResolvedStack, opts: HealthWaitOptions): Promise<HealthReport> {
      const stack = await watched(whole, opts);
      const ctx = Context.current();
      const pollMs = opts.pollMs ?? 200;
      const start = Date.now();
      let stableSince: number | undefined;
      for (;;) {
        const services = await observe(stack);
        const healthy = services.filter(isHealthy).length;
        const total = services.length;
        const elapsedMs = Date.now() - start;
        ctx.heartbeat({ healthy, total, elapsedMs });
        const exited = services.find((s) => s.exists && !s.running && ['exited', 'dead'].includes(s.status));
        if (exited) {
          throw ApplicationFailure.create({
            message: `${exited.service} exited with code ${exited.exitCode} (${healthy}/${total} services healthy)`,
            type: 'ServiceExited',
            nonRetryable: true,
            details: [{ healthy, total, elapsedMs, services }],
          });
        }
        if (healthy === total) {
          stableSince ??= Date.now();
          if (Date.now() - stableSince >= opts.stableSeconds * 1000) return { healthy, total, elapsedMs, services };
        } else stableSince = undefined;
        if (elapsedMs >= opts.timeoutSeconds * 1000) {
          const sick = services.filter((s) => !isHealthy(s)).map((s) => `${s.service}: ${s.status}/${s.health}`);
          throw ApplicationFailure.create({
            message: `not healthy after ${opts.timeoutSeconds}s: ${healthy}/${total} services healthy (${sick.join(', ')})`,
            type: 'HealthTimeout',
            nonRetryable: true,
            details: [{ healthy, total, elapsedMs, services }],
          });
        }
        await ctx.sleep(pollMs);
      }
    },

    async runSmokeTests(stack: ResolvedStack): Promise<CheckResult[]> {
      return Promise.all(
        stack.smokeTests.map(async (t) => {
          const started = performance.now();
          try {
            const res = await http.request({
              url: t.url,
              method: t.method,
              timeout: Math.max(t.maxLatencyMs * 2, 1000),
              validateStatus: () => true,
              responseType: 'text',
              transformResponse: (x) => x,
            });
            return evaluateSmokeTest(t, {
              status: res.status,
              body: String(res.data ?? ''),
              latencyMs: performance.now() - started,
            });
          } catch (err) {
            return { name: t.name, passed: false, detail: `request failed: ${(err as Error).message}` };
          }
        }),
      );
    },

    /** The runbook's `curl /status | jq`: ready when the JSON says overall_ready: true. */
    async checkStatusApi(stack: ResolvedStack): Promise<CheckResult | undefined> {
      const url = stack.statusUrl;
      if (!url) return undefined;
      try {
        const res = await http.get(url, {
          timeout: 5000,
          validateStatus: () => true,
          responseType: 'text',
          transformResponse: (x) => x,
        });
        let ready: unknown;
        try {
          ready = jsonPathGet(JSON.parse(String(res.data)), 'overall_ready');
        } catch {
          ready = undefined;
        }
        return {
          name: 'status API',
          passed: res.status === 200 && ready === true,
          detail: `HTTP ${res.status}, overall_ready=${JSON.stringify(ready)}`,
        };
      } catch (err) {
        return { name: 'status API', passed: false, detail: `request failed: ${(err as Error).message}` };
      }
    },

    async queryPrometheus(stack: ResolvedStack): Promise<CheckResult[]> {
      if (!stack.prometheus) return [];
      const baseUrl = stack.prometheus.url;
      return Promise.all(
        stack.prometheus.checks.map(async (c) => {
          try {
            const res = await http.get(`${baseUrl.replace(/\/$/, '')}/api/v1/query`, {
              params: { query: c.query },
              timeout: 10_000,
              validateStatus: () => true,
            });
            const body = res.data as {
              status?: string;
              error?: string;
              data?: { resultType?: string; result?: { value: [number, string] }[] };
            };
            if (body?.status !== 'success')
              return { name: c.name, passed: false, detail: `Prometheus: ${body?.error ?? `HTTP ${res.status}`}` };
            const samples =
              body.data?.resultType === 'vector' ? (body.data.result ?? []).map((r) => Number(r.value[1])) : [];
            return evaluateMetric(c, samples);
          } catch (err) {
            return { name: c.name, passed: false, detail: `Prometheus unreachable: ${(err as Error).message}` };
          }
        }),
      );
    },

    /**
     * The stack's configured data integrity check: an HTTP endpoint, or a command in a service's container.
     * Undefined when none is configured: no check is no evidence, never a pass.
     */
    async checkIntegrity(stack: ResolvedStack): Promise<CheckResult | undefined> {
      const check = stack.integrityCheck;
      if (!check) return undefined;
      if (check.type === 'http') {
        try {
          const res = await http.get(check.url, {
            timeout: 30_000,
            validateStatus: () => true,
            responseType: 'text',
            transformResponse: (x) => x,
          });
          return {
            name: 'data integrity',
            passed: res.status === check.expectStatus,
            detail: `HTTP ${res.status}: ${String(res.data).slice(0, 200)}`,
          };
        } catch (err) {
          return { name: 'data integrity', passed: false, detail: `request failed: ${(err as Error).message}` };
        }
      }
      const container = (await docker.serviceContainers(stack)).find((s) => s.service === check.service)?.container;
      if (!container)
        return { name: 'data integrity', passed: false, detail: `no service ${check.service} in the stack` };
      const r = await docker.execInContainer(container, check.command);
      return {
        name: 'data integrity',
        passed: r.exitCode === 0,
        detail: `exit ${r.exitCode}: ${r.output.trim().slice(-300)}`,
      };
    },

    /** `docker-compose logs --tail=N | grep -i error` across the stack. */
    async scanErrorLogs(stack: ResolvedStack, sinceUnix?: number): Promise<{ service: string; line: string }[]> {
      // Every container's log is read at once (one engine round trip of time, not one per service).
      const logs = await Promise.all(
        (await docker.serviceContainers(stack)).map(async (s) =>
          s.container
            ? { service: s.service, lines: await docker.containerLogs(s.container, stack.errorLogLines, sinceUnix) }
            : undefined,
        ),
      );
      const found: { service: string; line: string }[] = [];
      for (const log of logs) {
        if (!log) continue;
        for (const line of matchErrorLines(log.lines, stack.errorLogPatterns))
          found.push({ service: log.service, line: line.slice(0, ERROR_LINE_CHARS) });
      }
      // Bounded: a noisy service (100 lines of 16 KB) must not push the rollback's history past its limits.
      return found.slice(-ERROR_LINES_KEPT);
    },
  };
}
