/**
 * Converting between docker inspect output and Lifeline's ContainerSpec, Watchtower-style: keep everything
 * the container was created with (Config, HostConfig, every network endpoint), drop what the image supplies
 * by itself and what the engine sets at run time, and re-attach anonymous volumes by name.
 */
import type Docker from 'dockerode';
import { createHash } from 'node:crypto';
import type { ContainerSpec, EndpointSpec } from '../domain/release';
import { stableStringify } from '../domain/stable-json';

export const LIFELINE_LABELS = { release: 'lifeline.release', specHash: 'lifeline.spec-hash', stack: 'lifeline.stack' };

const sameArray = (a?: string[] | null, b?: string[] | null) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Config fields with a spec field of their own (env, labels, ...), recorded there and not again. */
const CONFIG_OWN_FIELDS = [
  'Image',
  'Env',
  'Cmd',
  'Entrypoint',
  'Labels',
  'Healthcheck',
  'User',
  'WorkingDir',
  'StopTimeout',
];
/** Network modes without endpoints of their own. */
const hasEndpoints = (mode: string) => !['host', 'none'].includes(mode) && !mode.startsWith('container:');

type Inspect = Docker.ContainerInspectInfo;
type ImageConfig = NonNullable<Docker.ImageInspectInfo['Config']> & { StopSignal?: string; Shell?: string[] };

/** Config as created: image defaults and the engine's own hostname (the container's short ID) left out. */
function configOf(c: Inspect, image: ImageConfig | undefined): Record<string, unknown> {
  const config: Record<string, unknown> = { ...(c.Config as unknown as Record<string, unknown>) };
  for (const k of CONFIG_OWN_FIELDS) delete config[k];
  if (config.Hostname === c.Id.slice(0, 12)) delete config.Hostname;
  const minus = (own: unknown, img: unknown) => {
    const kept = Object.keys((own as Record<string, unknown>) ?? {}).filter(
      (k) => !(k in ((img as Record<string, unknown>) ?? {})),
    );
    return kept.length ? Object.fromEntries(kept.map((k) => [k, {}])) : undefined;
  };
  config.ExposedPorts = minus(config.ExposedPorts, image?.ExposedPorts);
  config.Volumes = minus(config.Volumes, image?.Volumes);
  if (config.StopSignal === image?.StopSignal) delete config.StopSignal;
  if (stableStringify(config.Shell ?? null) === stableStringify(image?.Shell ?? null)) delete config.Shell;
  delete config.OnBuild;
  return Object.fromEntries(
    Object.entries(config).filter(([, v]) => v !== undefined && v !== null && v !== '' && v !== false),
  );
}

/** Endpoint settings per network, minus what the engine adds (the old container's short ID as an alias). */
function networksOf(c: Inspect): Record<string, EndpointSpec> | undefined {
  if (!hasEndpoints(c.HostConfig.NetworkMode ?? '')) return undefined;
  const nets = (c.NetworkSettings?.Networks ?? {}) as Record<
    string,
    {
      Aliases?: string[] | null;
      IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
      Links?: string[] | null;
      DriverOpts?: Record<string, string> | null;
    }
  >;
  const shortId = c.Id.slice(0, 12);
  const out: Record<string, EndpointSpec> = {};
  for (const [name, ep] of Object.entries(nets)) {
    const aliases = (ep.Aliases ?? []).filter((a) => a !== shortId && a !== c.Id);
    out[name] = {
      ...(aliases.length ? { aliases } : {}),
      ...(ep.IPAMConfig?.IPv4Address ? { ipv4Address: ep.IPAMConfig.IPv4Address } : {}),
      ...(ep.IPAMConfig?.IPv6Address ? { ipv6Address: ep.IPAMConfig.IPv6Address } : {}),
      ...(ep.Links?.length ? { links: ep.Links } : {}),
      ...(ep.DriverOpts && Object.keys(ep.DriverOpts).length ? { driverOpts: ep.DriverOpts } : {}),
    };
  }
  return Object.keys(out).length ? out : undefined;
}

/** Volumes the engine named itself (no Binds or Mounts entry made them): re-attached by name on recreate. */
function anonymousVolumesOf(c: Inspect): { name: string; target: string }[] | undefined {
  const hc = c.HostConfig as { Binds?: string[] | null; Mounts?: { Target?: string }[] | null };
  const declared = new Set([
    ...(hc.Binds ?? []).map((b) => b.split(':')[1]),
    ...(hc.Mounts ?? []).map((m) => m.Target),
  ]);
  const anon = (c.Mounts ?? [])
    .filter((m) => m.Type === 'volume' && m.Name && /^[0-9a-f]{64}$/.test(m.Name) && !declared.has(m.Destination))
    .map((m) => ({ name: m.Name!, target: m.Destination }));
  return anon.length ? anon : undefined;
}

export function specFromInspect(
  service: string,
  c: Inspect,
  image: Docker.ImageInspectInfo | undefined,
): ContainerSpec {
  const imgCfg = image?.Config as ImageConfig | undefined;
  const imageEnv = new Set(imgCfg?.Env ?? []);
  const imageLabels = imgCfg?.Labels ?? {};
  const labels = Object.fromEntries(
    Object.entries(c.Config.Labels ?? {}).filter(([k, v]) => !k.startsWith('lifeline.') && imageLabels[k] !== v),
  );
  const hc = c.Config.Healthcheck as
    { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number } | undefined;
  const imageHc = imgCfg?.Healthcheck as typeof hc;
  const entrypoint = c.Config.Entrypoint as string[] | string | null | undefined;
  const asArray = (v: string[] | string | null | undefined) => (typeof v === 'string' ? [v] : (v ?? undefined));
  return {
    service,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    imageId: c.Image,
    env: (c.Config.Env ?? []).filter((e) => !imageEnv.has(e)),
    cmd: sameArray(asArray(c.Config.Cmd), imgCfg?.Cmd) ? undefined : asArray(c.Config.Cmd),
    entrypoint: sameArray(asArray(entrypoint), asArray(imgCfg?.Entrypoint as string[] | undefined))
      ? undefined
      : asArray(entrypoint),
    labels,
    mounts: (c.Mounts ?? []).map((m) => ({
      type: m.Type as 'volume' | 'bind' | 'tmpfs',
      source: m.Type === 'volume' ? (m.Name ?? m.Source) : m.Source,
      target: m.Destination,
      readOnly: !m.RW,
    })),
    networkMode: c.HostConfig.NetworkMode ?? 'host',
    restartPolicy: c.HostConfig.RestartPolicy?.Name || 'no',
    init: Boolean((c.HostConfig as { Init?: boolean }).Init),
    healthcheck:
      hc?.Test && stableStringify(hc) !== stableStringify(imageHc ?? {})
        ? {
            test: hc.Test,
            intervalNs: hc.Interval,
            timeoutNs: hc.Timeout,
            startPeriodNs: hc.StartPeriod,
            retries: hc.Retries,
          }
        : undefined,
    user: c.Config.User && c.Config.User !== imgCfg?.User ? c.Config.User : undefined,
    workingDir: c.Config.WorkingDir && c.Config.WorkingDir !== imgCfg?.WorkingDir ? c.Config.WorkingDir : undefined,
    stopGraceSeconds: (c.Config as { StopTimeout?: number }).StopTimeout,
    config: configOf(c, imgCfg),
    hostConfig: { ...(c.HostConfig as unknown as Record<string, unknown>) },
    networks: networksOf(c),
    anonymousVolumes: anonymousVolumesOf(c),
  };
}

export function specHash(spec: ContainerSpec): string {
  return createHash('sha256').update(stableStringify(spec)).digest('hex').slice(0, 16);
}

const endpointConfig = (ep: EndpointSpec) => ({
  Aliases: ep.aliases,
  Links: ep.links,
  DriverOpts: ep.driverOpts,
  ...(ep.ipv4Address || ep.ipv6Address
    ? { IPAMConfig: { IPv4Address: ep.ipv4Address, IPv6Address: ep.ipv6Address } }
    : {}),
});

/** What to create, plus the further networks to connect before the container starts (create takes one). */
export interface CreatePlan {
  options: Docker.ContainerCreateOptions;
  connect: { network: string; endpoint: ReturnType<typeof endpointConfig> }[];
}

export function createPlanFromSpec(spec: ContainerSpec, stack: string, releaseId: string): CreatePlan {
  const own = {
    name: spec.name,
    Image: spec.image,
    Env: spec.env,
    Cmd: spec.cmd,
    Entrypoint: spec.entrypoint,
    User: spec.user,
    WorkingDir: spec.workingDir,
    StopTimeout: spec.stopGraceSeconds,
    Labels: {
      ...spec.labels,
      [LIFELINE_LABELS.stack]: stack,
      [LIFELINE_LABELS.release]: releaseId,
      [LIFELINE_LABELS.specHash]: specHash(spec),
    },
    Healthcheck: spec.healthcheck
      ? {
          Test: spec.healthcheck.test,
          Interval: spec.healthcheck.intervalNs,
          Timeout: spec.healthcheck.timeoutNs,
          StartPeriod: spec.healthcheck.startPeriodNs,
          Retries: spec.healthcheck.retries,
        }
      : undefined,
  };
  if (!spec.hostConfig) {
    // A release recorded before full fidelity: the settings it kept.
    return {
      options: {
        ...own,
        HostConfig: {
          NetworkMode: spec.networkMode,
          RestartPolicy: { Name: spec.restartPolicy },
          Init: spec.init,
          Mounts: spec.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
        },
      },
      connect: [],
    };
  }
  const hostConfig = { ...spec.hostConfig } as Docker.HostConfig & { Mounts?: Docker.MountSettings[] | null };
  if (spec.anonymousVolumes?.length) {
    hostConfig.Mounts = [
      ...(hostConfig.Mounts ?? []),
      ...spec.anonymousVolumes.map((v) => ({ Type: 'volume' as const, Source: v.name, Target: v.target })),
    ];
  }
  const networks = Object.entries(spec.networks ?? {});
  const primary = networks.find(([n]) => n === spec.networkMode) ?? networks[0];
  return {
    options: {
      ...(spec.config as Partial<Docker.ContainerCreateOptions>),
      ...own,
      HostConfig: hostConfig,
      ...(primary ? { NetworkingConfig: { EndpointsConfig: { [primary[0]]: endpointConfig(primary[1]) } } } : {}),
    },
    connect: networks.filter((n) => n !== primary).map(([network, ep]) => ({ network, endpoint: endpointConfig(ep) })),
  };
}
