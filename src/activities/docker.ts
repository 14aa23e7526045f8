/** Activities that act on containers of one Docker engine. Each reads the current state before it acts. */
import type Docker from 'dockerode';
import { Context } from '@temporalio/activity';
import { PassThrough } from 'node:stream';
import type { ResolvedStack } from '../domain/config';
import type { ContainerSpec } from '../domain/release';
import { badInput, dockerFailure, statusCodeOf } from './errors';
import { heartbeating } from './heartbeat';
import { COMPOSE_LABELS } from '../domain/compose';
import { envValue } from '../domain/ingress';
import { CreatePlan, createPlanFromSpec, LIFELINE_LABELS, specFromInspect, specHash } from './docker-specs';

export interface ServiceState {
  service: string;
  container: string;
  exists: boolean;
  running: boolean;
  status: string;
  health: 'none' | 'starting' | 'healthy' | 'unhealthy';
  exitCode?: number;
  image?: string;
  release?: string;
  /** A service the ingress fronts: the port it listens on now (one of its two). */
  port?: number;
}

/** A service and one of its containers (undefined: the service has none now). */
export interface ServiceContainer {
  service: string;
  container: string | undefined;
}

/**
 * Which of a stack's containers a stop or start acts on, always found on the engine from the stack's own
 * config: its services (default), its ingress container, or its blue or green compose project.
 */
export type ContainerTarget = { stack: ResolvedStack; of?: 'services' | 'ingress' | 'blue' | 'green' };

export type RecreateOutcome = 'created' | 'replaced' | 'unchanged';

/** One spec's part in a swap, read before anything stops. */
interface SwapEntry {
  spec: ContainerSpec;
  image: Docker.ImageInspectInfo;
  /** Whether the stack's listing had a container of this name (`existing` is its inspect, if it still existed). */
  listed: boolean;
  existing: Docker.ContainerInspectInfo | undefined;
  /** Already the container this release makes (an earlier attempt made it): left running. */
  keep: boolean;
}

function swapPlan(
  specs: ContainerSpec[],
  images: Docker.ImageInspectInfo[],
  listed: Map<string, Docker.ContainerInspectInfo | undefined>,
  releaseId: string,
): SwapEntry[] {
  return specs.map((spec, i) => {
    const existing = listed.get(spec.name);
    return {
      spec,
      image: images[i],
      listed: listed.has(spec.name),
      existing,
      keep: existing !== undefined && isMade(spec, releaseId, images[i], existing),
    };
  });
}

/** Whether `existing` is the container `recreate` makes of `spec` for `releaseId`: same spec, release and image content. */
function isMade(
  spec: ContainerSpec,
  releaseId: string,
  image: Docker.ImageInspectInfo,
  existing: Docker.ContainerInspectInfo,
): boolean {
  const labels = existing.Config.Labels ?? {};
  return (
    labels[LIFELINE_LABELS.specHash] === specHash(spec) &&
    labels[LIFELINE_LABELS.release] === releaseId &&
    existing.Image === image.Id
  );
}

export function createDockerActivities(docker: Docker) {
  async function inspectOrUndefined(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await docker.getContainer(name).inspect();
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw dockerFailure(`inspect ${name}`, err);
    }
  }

  async function imageOrUndefined(ref: string): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await docker.getImage(ref).inspect();
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw dockerFailure(`inspect image ${ref}`, err);
    }
  }

  async function stopOne(name: string, graceSeconds: number): Promise<boolean> {
    try {
      await docker.getContainer(name).stop({ t: graceSeconds });
      return true;
    } catch (err) {
      const code = statusCodeOf(err);
      if (code === 304 || code === 404) return false; // already stopped, or gone
      throw dockerFailure(`stop ${name}`, err);
    }
  }

  async function removeOne(name: string): Promise<void> {
    try {
      await docker.getContainer(name).remove({ force: true });
    } catch (err) {
      const code = statusCodeOf(err);
      if (code === 404) return;
      if (code === 409 && /already in progress/.test(String((err as Error).message))) return;
      throw dockerFailure(`remove ${name}`, err);
    }
  }

  async function startOne(name: string): Promise<void> {
    try {
      await docker.getContainer(name).start();
    } catch (err) {
      if (statusCodeOf(err) === 304) return; // already running
      throw dockerFailure(`start ${name}`, err);
    }
  }

  /** Attaches the container to its further networks, before it starts, skipping those it is already on. */
  async function connectAll(
    name: string,
    connect: CreatePlan['connect'],
    existing?: Docker.ContainerInspectInfo,
  ): Promise<void> {
    for (const { network, endpoint } of connect) {
      if (existing?.NetworkSettings?.Networks?.[network]) continue;
      try {
        await docker.getNetwork(network).connect({ Container: name, EndpointConfig: endpoint });
      } catch (err) {
        throw dockerFailure(`connect ${name} to network ${network}`, err);
      }
    }
  }

  function stateOf(
    service: string,
    container: string,
    c?: Docker.ContainerInspectInfo,
    portEnv?: string,
  ): ServiceState {
    if (!c) return { service, container, exists: false, running: false, status: 'missing', health: 'none' };
    const health = (c.State.Health?.Status ?? 'none') as ServiceState['health'];
    const port = portEnv && Number(envValue(c.Config.Env ?? [], portEnv));
    return {
      ...(port ? { port } : {}),
      service,
      container,
      exists: true,
      running: c.State.Running,
      status: c.State.Status,
      health,
      exitCode: c.State.Running ? undefined : c.State.ExitCode,
      image: c.Config.Image,
      release: c.Config.Labels?.[LIFELINE_LABELS.release],
    };
  }

  /**
   * The containers of each service: the configured name, or else every container compose labelled with the
   * project and service (replicas in container-number order, one-off `run` containers left out).
   */
  async function serviceContainers(stack: ResolvedStack): Promise<ServiceContainer[]> {
    const byLabel = new Map<string, { name: string; number: number }[]>();
    if (stack.services.some((s) => !s.container)) {
      let list: Docker.ContainerInfo[];
      try {
        list = await docker.listContainers({
          all: true,
          filters: { label: [`${COMPOSE_LABELS.project}=${stack.project}`] },
        });
      } catch (err) {
        throw dockerFailure(`list project ${stack.project}`, err);
      }
      for (const c of list) {
        if (c.Labels[COMPOSE_LABELS.oneoff] === 'True') continue;
        const service = c.Labels[COMPOSE_LABELS.service] ?? '';
        byLabel.set(service, [
          ...(byLabel.get(service) ?? []),
          { name: c.Names[0]?.replace(/^\//, '') ?? c.Id, number: Number(c.Labels[COMPOSE_LABELS.number] ?? 1) },
        ]);
      }
    }
    return stack.services.flatMap((s): ServiceContainer[] => {
      if (s.container) return [{ service: s.name, container: s.container }];
      const found = (byLabel.get(s.name) ?? []).sort((a, b) => a.number - b.number);
      return found.length
        ? found.map((c) => ({ service: s.name, container: c.name }))
        : [{ service: s.name, container: undefined }];
    });
  }

  async function targetNames({ stack, of = 'services' }: ContainerTarget): Promise<string[]> {
    if (of === 'ingress') return stack.emergency.ingressContainer ? [stack.emergency.ingressContainer] : [];
    if (of === 'blue' || of === 'green') return (await containersOfProject(stack, of)).map((c) => c.name);
    return (await serviceContainers(stack)).flatMap((s) => (s.container ? [s.container] : []));
  }

  /** Containers of the stack's blue or green compose project (`docker-compose -p <project> ps -a`). */
  async function containersOfProject(
    stack: ResolvedStack,
    environment: 'blue' | 'green',
  ): Promise<{ name: string; service: string; state: string }[]> {
    const project = stack.blueGreen?.[environment].project;
    if (!project) throw badInput(`stack ${stack.name} has no blueGreen section in its config`);
    try {
      const list = await docker.listContainers({
        all: true,
        filters: { label: [`com.docker.compose.project=${project}`] },
      });
      return list.map((c) => ({
        name: c.Names[0]?.replace(/^\//, '') ?? c.Id,
        service: c.Labels['com.docker.compose.service'] ?? '',
        state: c.State,
      }));
    } catch (err) {
      throw dockerFailure(`list project ${project}`, err);
    }
  }

  /**
   * `found`: the spec's image and the container now holding its name, when the caller has just read them
   * (`stopped`: and has stopped that container since).
   */
  async function recreate(
    stack: string,
    spec: ContainerSpec,
    releaseId: string,
    graceSeconds: number,
    found?: { image: Docker.ImageInspectInfo; existing: Docker.ContainerInspectInfo | undefined; stopped?: boolean },
  ): Promise<RecreateOutcome> {
    const [image, existing] = found
      ? [found.image, found.existing]
      : await Promise.all([imageOrUndefined(spec.image), inspectOrUndefined(spec.name)]);
    if (!image) throw badInput(`image ${spec.image} is not on this Docker engine`);
    const plan = createPlanFromSpec(spec, stack, releaseId);
    if (existing && isMade(spec, releaseId, image, existing)) {
      // A retry after the create: finish what the first attempt may not have (networks, start).
      await connectAll(spec.name, plan.connect, existing);
      if (!existing.State.Running || found?.stopped) await startOne(spec.name);
      return 'unchanged';
    }
    if (existing) {
      // Stopped with its grace period when running (the swap did that already on the hot path).
      if (existing.State.Running && !found?.stopped) await stopOne(spec.name, graceSeconds);
      await removeOne(spec.name);
    }
    try {
      await docker.createContainer(plan.options);
    } catch (err) {
      // 409: a container with this name appeared meanwhile; the next attempt inspects it again.
      throw dockerFailure(`create ${spec.name}`, err);
    }
    await connectAll(spec.name, plan.connect);
    await startOne(spec.name);
    return existing ? 'replaced' : 'created';
  }

  return {
    serviceContainers,

    async inspectStack(stack: ResolvedStack): Promise<ServiceState[]> {
      const containers = await serviceContainers(stack);
      return Promise.all(
        containers.map(async (s) =>
          stateOf(
            s.service,
            s.container ?? '(none)',
            s.container ? await inspectOrUndefined(s.container) : undefined,
            stack.ingress?.services[s.service]?.portEnv,
          ),
        ),
      );
    },

    /** All containers on the engine, stopped ones included (`docker ps -a`). */
    async listAllContainers(): Promise<{ name: string; image: string; state: string; status: string }[]> {
      try {
        const all = await docker.listContainers({ all: true });
        return all.map((c) => ({
          name: c.Names[0]?.replace(/^\//, '') ?? c.Id,
          image: c.Image,
          state: c.State,
          status: c.Status,
        }));
      } catch (err) {
        throw dockerFailure('list containers', err);
      }
    },

    /** Which of `images` this engine does not have (there is no registry to pull them from). */
    async missingImages(images: string[]): Promise<string[]> {
      const unique = [...new Set(images)];
      const present = await Promise.all(unique.map(async (i) => (await imageOrUndefined(i)) !== undefined));
      return unique.filter((_, k) => !present[k]);
    },

    containersOfProject,

    /** Specs of the stack's existing containers, as docker inspect shows them now. */
    async captureSpecs(stack: ResolvedStack): Promise<ContainerSpec[]> {
      const specs = await Promise.all(
        (await serviceContainers(stack)).map(async (s) => {
          const c = s.container ? await inspectOrUndefined(s.container) : undefined;
          return c && specFromInspect(s.service, c, await imageOrUndefined(c.Image));
        }),
      );
      return specs.filter((x): x is ContainerSpec => x !== undefined);
    },

    /** Stops the target's containers, each with the grace period. */
    async stopContainers(target: ContainerTarget, graceSeconds: number): Promise<string[]> {
      const names = await targetNames(target);
      const stopped = await Promise.all(names.map(async (n) => ((await stopOne(n, graceSeconds)) ? n : undefined)));
      return stopped.filter((n): n is string => n !== undefined);
    },

    async startContainers(target: ContainerTarget): Promise<void> {
      await Promise.all((await targetNames(target)).map(startOne));
    },

    /**
     * The swap in one step: stops every container of the stack, then makes each of `specs` (one start wave)
     * from its spec, labelled with `releaseId`. A retry leaves running the containers an earlier attempt already
     * made for this release, so none is stopped twice. A missing image fails it before anything is stopped. A
     * cancel learned before the stop begins does nothing; once anything is stopped, the start always follows:
     * the swap is never cut between its containers, and never leaves the stack down.
     */
    async replaceServices(stack: ResolvedStack, specs: ContainerSpec[], releaseId: string): Promise<RecreateOutcome[]> {
      const ctx = Context.current();
      let phase = 'stopping';
      ctx.heartbeat(phase);
      // A stop may wait its whole grace period: the attempt keeps telling the server it is alive.
      const beat = setInterval(() => ctx.heartbeat(phase), 1000);
      try {
        const grace = stack.timeouts.stopGraceSeconds;
        const names = await targetNames({ stack });
        // Everything the start needs is read before the stop, so after it the start only removes, creates and starts.
        const imageReads = new Map(specs.map((s) => [s.image, imageOrUndefined(s.image)]));
        const [containers, images] = await Promise.all([
          Promise.all(names.map(inspectOrUndefined)),
          Promise.all(specs.map((s) => imageReads.get(s.image)!)),
        ]);
        const missing = [...new Set(specs.filter((_, i) => !images[i]).map((s) => s.image))];
        if (missing.length)
          throw badInput(`image(s) not on this Docker engine: ${missing.join(', ')}; nothing was stopped`);
        const plan = swapPlan(
          specs,
          images as Docker.ImageInspectInfo[],
          new Map(names.map((n, i) => [n, containers[i]])),
          releaseId,
        );
        ctx.cancellationSignal.throwIfAborted();
        const kept = new Set(plan.filter((e) => e.keep).map((e) => e.spec.name));
        await Promise.all(names.filter((n) => !kept.has(n)).map((n) => stopOne(n, grace)));
        // Once anything is stopped, the start always follows, even when cancelled: never leave the stack down.
        phase = 'starting';
        ctx.heartbeat(phase);
        return await Promise.all(
          plan.map(({ spec, image, listed, existing, keep }) =>
            // A name the listing lacked is read again: a container outside the stack may hold it.
            listed
              ? recreate(stack.name, spec, releaseId, grace, { image, existing, stopped: !keep })
              : recreate(stack.name, spec, releaseId, grace),
          ),
        );
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * Runs `spec` under the name `as`, beside the container that holds the spec's own name (the gapless swap's
     * target). Labelled as `spec` itself, so once renamed to its own name it is exactly what `recreate` makes.
     * A retry finds the container it made and only starts it; a leftover of another release is replaced.
     */
    async startBeside(stack: string, spec: ContainerSpec, releaseId: string, as: string): Promise<RecreateOutcome> {
      const [image, existing] = await Promise.all([imageOrUndefined(spec.image), inspectOrUndefined(as)]);
      if (!image) throw badInput(`image ${spec.image} is not on this Docker engine`);
      if (existing && isMade(spec, releaseId, image, existing)) {
        if (!existing.State.Running) await startOne(as);
        return 'unchanged';
      }
      if (existing) await removeOne(as);
      const plan = createPlanFromSpec(spec, stack, releaseId);
      try {
        await docker.createContainer({ ...plan.options, name: as });
      } catch (err) {
        throw dockerFailure(`create ${as}`, err);
      }
      await connectAll(as, plan.connect);
      await startOne(as);
      return existing ? 'replaced' : 'created';
    },

    /** The container named `name`, and whether it is the one `spec` makes for `releaseId`. */
    async madeOf(
      name: string,
      spec: ContainerSpec,
      releaseId: string,
    ): Promise<{ container: Docker.ContainerInspectInfo | undefined; made: boolean }> {
      const [image, container] = await Promise.all([imageOrUndefined(spec.image), inspectOrUndefined(name)]);
      return { container, made: Boolean(image && container && isMade(spec, releaseId, image, container)) };
    },

    /** Stops (with the grace period) and removes a container; gone already is done. */
    async retire(name: string, graceSeconds: number): Promise<void> {
      await stopOne(name, graceSeconds);
      await removeOne(name);
    },

    /** Stops the stack's containers a swap to `specs` does not make (as replaceServices does): kept, not removed. */
    async stopOthers(stack: ResolvedStack, specs: ContainerSpec[], graceSeconds: number): Promise<string[]> {
      const made = new Set(specs.map((s) => s.name));
      const others = (await targetNames({ stack })).filter((n) => !made.has(n));
      await Promise.all(others.map((n) => stopOne(n, graceSeconds)));
      return others;
    },

    async renameContainer(from: string, to: string): Promise<void> {
      try {
        await docker.getContainer(from).rename({ name: to });
      } catch (err) {
        throw dockerFailure(`rename ${from} to ${to}`, err);
      }
    },

    /**
     * Makes the container named in `spec` be exactly that spec, labelled with `releaseId`, and running.
     * A retry finds the container it already made (same spec hash, release and image content) and leaves
     * it alone, so no second container is ever created; a tag that moved since gets a fresh container.
     */
    recreateFromSpec: recreate,
    /** The last `tail` log lines of a container, stdout and stderr demultiplexed. */
    async containerLogs(name: string, tail: number, sinceUnix?: number): Promise<string[]> {
      const c = await inspectOrUndefined(name);
      if (!c) return [];
      try {
        const buf = (await docker.getContainer(name).logs({
          stdout: true,
          stderr: true,
          tail,
          since: sinceUnix ?? 0,
          follow: false,
        })) as unknown as Buffer;
        return demuxToLines(buf, Boolean(c.Config.Tty)).slice(-tail);
      } catch (err) {
        if (statusCodeOf(err) === 404) return []; // removed since we looked
        throw dockerFailure(`logs ${name}`, err);
      }
    },

    async execInContainer(name: string, cmd: string[]): Promise<{ exitCode: number; output: string }> {
      try {
        const exec = await docker.getContainer(name).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
        const stream = await exec.start({ hijack: true, stdin: false });
        const out = new PassThrough();
        const chunks: Buffer[] = [];
        out.on('data', (d: Buffer) => chunks.push(d));
        docker.modem.demuxStream(stream, out, out);
        await new Promise<void>((resolve, reject) => {
          stream.on('end', resolve);
          stream.on('error', reject);
        });
        const info = await exec.inspect();
        return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
      } catch (err) {
        throw dockerFailure(`exec in ${name}`, err);
      }
    },

    /** Disk usage of the engine's data (`docker system df`), in bytes. */
    async diskUsage(): Promise<{ images: number; containers: number; volumes: number; buildCache: number }> {
      try {
        const df = (await docker.df()) as {
          LayersSize?: number;
          Containers?: { SizeRw?: number }[];
          Volumes?: { UsageData?: { Size?: number } }[];
          BuildCache?: { Size?: number }[];
        };
        const sum = (xs: (number | undefined)[]) => xs.reduce<number>((a, b) => a + Math.max(b ?? 0, 0), 0);
        return {
          images: df.LayersSize ?? 0,
          containers: sum((df.Containers ?? []).map((c) => c.SizeRw)),
          volumes: sum((df.Volumes ?? []).map((v) => v.UsageData?.Size)),
          buildCache: sum((df.BuildCache ?? []).map((b) => b.Size)),
        };
      } catch (err) {
        throw dockerFailure('disk usage', err);
      }
    },

    /** Removes unused volumes. Only ever called after a person approved it: this deletes data. */
    async pruneVolumes(): Promise<{ volumesDeleted: string[]; spaceReclaimed: number }> {
      // The engine may take minutes over large volumes: the attempt keeps telling the server it is alive.
      return heartbeating(
        () => 'pruning volumes',
        async () => {
          try {
            const v = await docker.pruneVolumes();
            return { volumesDeleted: v.VolumesDeleted ?? [], spaceReclaimed: v.SpaceReclaimed ?? 0 };
          } catch (err) {
            throw dockerFailure('prune volumes', err);
          }
        },
      );
    },

    /** Frees space safely: stopped containers, dangling images and build cache. Never volumes. */
    async pruneSafe(): Promise<{ containersDeleted: number; imagesDeleted: number; spaceReclaimed: number }> {
      // Each prune may take minutes on a full disk: the attempt keeps telling the server it is alive.
      return heartbeating(
        () => 'pruning',
        async () => {
          try {
            const c = await docker.pruneContainers();
            const i = await docker.pruneImages({ filters: { dangling: { true: true } } });
            await docker.pruneBuilder().catch(() => undefined); // engines without BuildKit have no builder cache
            return {
              containersDeleted: c.ContainersDeleted?.length ?? 0,
              imagesDeleted: i.ImagesDeleted?.length ?? 0,
              spaceReclaimed: (c.SpaceReclaimed ?? 0) + (i.SpaceReclaimed ?? 0),
            };
          } catch (err) {
            throw dockerFailure('prune', err);
          }
        },
      );
    },
  };
}

/** Splits Docker's multiplexed log frames (8-byte headers) into text lines. */
export function demuxToLines(buf: Buffer, tty: boolean): string[] {
  let text = '';
  if (tty) text = buf.toString('utf8');
  else {
    let off = 0;
    while (off + 8 <= buf.length) {
      const len = buf.readUInt32BE(off + 4);
      text += buf.subarray(off + 8, off + 8 + len).toString('utf8');
      off += 8 + len;
    }
  }
  return text.split('\n').filter((l) => l.length > 0);
}

export type DockerActivities = ReturnType<typeof createDockerActivities>;
