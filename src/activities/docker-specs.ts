/** Converting between docker inspect output and Lifeline's ContainerSpec (Watchtower-style: drop image defaults). */
import type Docker from 'dockerode';
import { createHash } from 'node:crypto';
import type { ContainerSpec } from '../domain/release';
import { stableStringify } from '../domain/stable-json';

export const LIFELINE_LABELS = { release: 'lifeline.release', specHash: 'lifeline.spec-hash', stack: 'lifeline.stack' };

const sameArray = (a?: string[] | null, b?: string[] | null) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function specFromInspect(
  service: string,
  c: Docker.ContainerInspectInfo,
  image: Docker.ImageInspectInfo | undefined,
): ContainerSpec {
  const imgCfg = image?.Config;
  const imageEnv = new Set(imgCfg?.Env ?? []);
  const imageLabels = imgCfg?.Labels ?? {};
  const labels = Object.fromEntries(
    Object.entries(c.Config.Labels ?? {}).filter(
      ([k, v]) => !k.startsWith('lifeline.') && imageLabels[k] !== v,
    ),
  );
  const hc = c.Config.Healthcheck as { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number } | undefined;
  const imageHc = imgCfg?.Healthcheck as typeof hc;
  const entrypoint = c.Config.Entrypoint as string[] | string | null | undefined;
  const asArray = (v: string[] | string | null | undefined) => (typeof v === 'string' ? [v] : v ?? undefined);
  return {
    service,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    imageId: c.Image,
    env: (c.Config.Env ?? []).filter((e) => !imageEnv.has(e)),
    cmd: sameArray(asArray(c.Config.Cmd), imgCfg?.Cmd) ? undefined : asArray(c.Config.Cmd),
    entrypoint: sameArray(asArray(entrypoint), asArray(imgCfg?.Entrypoint as string[] | undefined)) ? undefined : asArray(entrypoint),
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
        ? { test: hc.Test, intervalNs: hc.Interval, timeoutNs: hc.Timeout, startPeriodNs: hc.StartPeriod, retries: hc.Retries }
        : undefined,
    user: c.Config.User && c.Config.User !== imgCfg?.User ? c.Config.User : undefined,
    workingDir: c.Config.WorkingDir && c.Config.WorkingDir !== imgCfg?.WorkingDir ? c.Config.WorkingDir : undefined,
    stopGraceSeconds: (c.Config as { StopTimeout?: number }).StopTimeout,
  };
}

export function specHash(spec: ContainerSpec): string {
  return createHash('sha256').update(stableStringify(spec)).digest('hex').slice(0, 16);
}

export function createOptionsFromSpec(spec: ContainerSpec, stack: string, releaseId: string): Docker.ContainerCreateOptions {
  return {
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
    HostConfig: {
      NetworkMode: spec.networkMode,
      RestartPolicy: { Name: spec.restartPolicy },
      Init: spec.init,
      Mounts: spec.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
    },
  };
}
