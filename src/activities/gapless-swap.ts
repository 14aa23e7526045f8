/**
 * The gapless swap behind an ingress, as kamal-proxy and docker-rollout do it on a plain Docker host: start
 * each fronted service's target beside the running container (on the other of its two ports, in depends_on
 * order), wait for its health, point the ingress at the targets, let nginx drain the old connections, then
 * stop and remove the old containers and give the targets their compose names. A service that cannot run
 * twice (`stopFirst`), or that the ingress does not front, is swapped stop-first, alone, after the switch.
 *
 * One activity, retried as a whole: each step first looks at what exists (a target already beside, the
 * upstream already served, an old container already gone), so a worker killed at any step leaves one
 * complete set serving, and the retry finishes the swap from there. Until the switch the old set serves;
 * from the switch the new one does; the ingress never points at a container that is not healthy.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AxiosInstance } from 'axios';
import type { ResolvedStack } from '../domain/config';
import { startWaves } from '../domain/compose';
import { envValue, nextPort, onPort, upstreamFile, withEnv } from '../domain/ingress';
import type { ContainerSpec } from '../domain/release';
import { SpecSource, specsOf } from '../domain/spec-source';
import type { DockerActivities, RecreateOutcome } from './docker';
import { badInput } from './errors';
import type { createIngressActivities } from './ingress';
import type { ReleaseActivities } from './releases';

/** What each service went through: started beside the old one, or stopped first. */
export interface SwappedService {
  service: string;
  how: 'beside' | 'stop-first';
  outcome: RecreateOutcome;
  /** The port a fronted service listens on now. */
  port?: number;
}

const POLL_MS = 200;

/** The name a target runs under while the old container still holds the compose name. */
export const besideName = (name: string) => `${name}-lifeline-next`;

export function createGaplessSwap(deps: {
  docker: DockerActivities;
  ingress: Pick<ReturnType<typeof createIngressActivities>, 'applyUpstream'>;
  releases: Pick<ReleaseActivities, 'getRelease'>;
  http: AxiosInstance;
}) {
  const { docker } = deps;

  async function probe(url: string): Promise<boolean> {
    const res = await deps.http.get(url, { timeout: 1000, validateStatus: () => true }).catch(() => undefined);
    return res !== undefined && res.status >= 200 && res.status < 300;
  }

  /** Healthy as the health wait judges it: Docker's check when the image has one, else the HTTP probe on its port. */
  async function healthOf(
    stack: ResolvedStack,
    spec: ContainerSpec,
    label: string,
    name: string,
    port: number,
  ): Promise<'healthy' | 'starting' | string> {
    const { container } = await docker.madeOf(name, spec, label);
    if (!container) return `${name} is gone`;
    if (!container.State.Running) return `${name} exited (code ${container.State.ExitCode})`;
    const health = container.State.Health?.Status;
    if (health === 'unhealthy') return `${name} is unhealthy`;
    const url = stack.services.find((s) => s.name === spec.service)?.healthUrl;
    // As the stack's health wait judges it: the HTTP probe sees health before Docker's interval comes round.
    if (url) return (await probe(onPort(url, port))) ? 'healthy' : 'starting';
    return !health || health === 'healthy' ? 'healthy' : 'starting';
  }

  return {
    async swapBehindIngress(stack: ResolvedStack, source: SpecSource): Promise<SwappedService[]> {
      const ingress = stack.ingress;
      if (!ingress) throw badInput(`stack ${stack.name} has no ingress in its config`);
      const ctx = Context.current();
      let phase = 'reading the release';
      const beat = setInterval(() => ctx.heartbeat(phase), 1000);
      const at = (next: string) => {
        phase = next;
        ctx.heartbeat(phase);
      };
      try {
        const release = await deps.releases.getRelease(stack, source.release);
        const specs = specsOf(stack, release, source);
        const stopFirst = new Set(stack.services.filter((s) => s.stopFirst).map((s) => s.name));
        const isFronted = (spec: ContainerSpec) =>
          Boolean(ingress.services[spec.service]) && !stopFirst.has(spec.service);
        for (const service of Object.keys(ingress.services))
          if (specs.filter((s) => s.service === service).length !== 1)
            throw badInput(
              `the ingress fronts ${service}, so release ${release.id} must hold exactly one container of it`,
            );
        const missing = await docker.missingImages(specs.map((s) => s.image));
        if (missing.length)
          throw badInput(`image(s) not on this Docker engine: ${missing.join(', ')}; nothing was changed`);
        const waves = startWaves(specs);
        const grace = stack.timeouts.stopGraceSeconds;

        // 1. Each fronted service's target beside the running container, wave by wave, each wave healthy first.
        const targets = new Map<string, { spec: ContainerSpec; port: number; as: string; outcome: RecreateOutcome }>();
        const done = new Map<string, number>(); // already swapped (a retry after the rename): its port
        for (const wave of waves) {
          at(`starting ${wave.specs.map((s) => s.service).join(', ')} beside the running version`);
          await Promise.all(
            wave.specs.filter(isFronted).map(async (spec) => {
              const front = ingress.services[spec.service];
              const onSlot = (port: number) => ({ ...spec, env: withEnv(spec.env, front.portEnv, String(port)) });
              const as = besideName(spec.name);
              const [running, beside] = await Promise.all([
                docker.madeOf(spec.name, onSlot(front.ports[0]), source.label),
                docker.madeOf(as, onSlot(front.ports[1]), source.label),
              ]);
              const runningPort =
                running.container && Number(envValue(running.container.Config.Env ?? [], front.portEnv));
              const alreadyDone =
                !beside.container &&
                running.container?.State.Running &&
                (running.made || (await docker.madeOf(spec.name, onSlot(front.ports[1]), source.label)).made);
              if (alreadyDone) {
                done.set(spec.service, runningPort as number);
                return;
              }
              // A target left beside by an earlier attempt keeps its port; else the port the running one is not on.
              const port = beside.container
                ? Number(envValue(beside.container.Config.Env ?? [], front.portEnv))
                : nextPort(front, runningPort);
              const outcome = await docker.startBeside(stack.name, onSlot(port), source.label, as);
              targets.set(spec.service, { spec: onSlot(port), port, as, outcome });
            }),
          );
          at(`waiting for ${wave.specs.map((s) => s.service).join(', ')} to be healthy beside the running version`);
          const waiting = wave.specs.filter((s) => targets.has(s.service));
          const deadline = Date.now() + stack.timeouts.healthWaitSeconds * 1000;
          for (;;) {
            const states = await Promise.all(
              waiting.map((s) =>
                healthOf(stack, s, source.label, targets.get(s.service)!.as, targets.get(s.service)!.port),
              ),
            );
            const failed = states.find((h) => h !== 'healthy' && h !== 'starting');
            const late = Date.now() > deadline && states.some((h) => h !== 'healthy');
            if (failed || late) {
              // The old set still serves and the ingress never moved: the targets go, nothing else changed.
              await Promise.all([...targets.values()].map((t) => docker.retire(t.as, 0)));
              throw ApplicationFailure.nonRetryable(
                `${failed ?? `not healthy within ${stack.timeouts.healthWaitSeconds}s`}: the running version kept serving`,
                'TargetUnhealthy',
              );
            }
            if (states.every((h) => h === 'healthy')) break;
            ctx.cancellationSignal.throwIfAborted();
            await new Promise((r) => setTimeout(r, POLL_MS));
          }
        }

        // 2. The switch: nginx checks and reloads; its old workers finish their requests before they exit.
        at('switching the ingress to the new version');
        const portOf = (service: string) =>
          targets.get(service)?.port ?? done.get(service) ?? ingress.services[service].ports[0];
        await deps.ingress.applyUpstream(
          ingress.container,
          ingress.upstreamFile,
          upstreamFile(ingress, portOf),
          ingress.configFile,
        );

        // 3. The old containers go; each target takes its compose name.
        at('stopping the old version');
        await Promise.all(
          [...targets.values()].map(async (t) => {
            await docker.retire(t.spec.name, grace);
            await docker.renameContainer(t.as, t.spec.name);
          }),
        );

        // 4. What cannot run twice, or is not fronted: stop-first, alone, in depends_on order.
        const swapped: SwappedService[] = [
          ...[...targets].map(([service, t]) => ({
            service,
            how: 'beside' as const,
            outcome: t.outcome,
            port: t.port,
          })),
          ...[...done].map(([service, port]) => ({
            service,
            how: 'beside' as const,
            outcome: 'unchanged' as const,
            port,
          })),
        ];
        const order = waves.flatMap((w) => w.specs.map((spec) => spec.service));
        swapped.sort((a, b) => order.indexOf(a.service) - order.indexOf(b.service));
        for (const spec of waves.flatMap((w) => w.specs).filter((s) => !isFronted(s))) {
          at(`replacing ${spec.service} stop-first`);
          swapped.push({
            service: spec.service,
            how: 'stop-first',
            outcome: await docker.recreateFromSpec(stack.name, spec, source.label, grace),
          });
        }
        // 5. What the target does not hold stops, as in the stop-first swap: no old version keeps running.
        at('stopping what the target does not hold');
        await docker.stopOthers(stack, specs, grace);
        return swapped;
      } finally {
        clearInterval(beat);
      }
    },
  };
}
