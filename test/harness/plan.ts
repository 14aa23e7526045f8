/**
 * A container's settings read straight from docker inspect, in the plan's terms, so a test can hold what
 * `lifeline plan` said against what the rollback then made, field by field.
 */
import type Docker from 'dockerode';
import type { RollbackPlan, ServiceSettings } from '../../src/domain/rollback-plan';
import { lifeline } from './cli';

export async function containerSettings(docker: Docker, name: string): Promise<ServiceSettings> {
  const c = await docker.getContainer(name).inspect();
  const imageEnv = new Set((await docker.getImage(c.Image).inspect()).Config.Env ?? []);
  const bindings = (c.HostConfig.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[]>;
  return {
    image: c.Config.Image,
    // What the container sets itself: the image's own entries are not part of a release's spec.
    envKeys: (c.Config.Env ?? [])
      .filter((e) => !imageEnv.has(e))
      .map((e) => e.split('=')[0])
      .sort(),
    ports: Object.entries(bindings)
      .flatMap(([port, hosts]) => (hosts ?? []).map((h) => `${h.HostIp ? `${h.HostIp}:` : ''}${h.HostPort}->${port}`))
      .sort(),
    mounts: (c.Mounts ?? [])
      .map((m) => `${m.Type} ${m.Type === 'volume' ? m.Name : m.Source}:${m.Destination}${m.RW ? '' : ':ro'}`)
      .sort(),
    networks: Object.keys(c.NetworkSettings.Networks).sort(),
  };
}

/** `lifeline --json plan <args>`, parsed; the exit code beside it. */
export async function planOf(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; plan: RollbackPlan }> {
  const r = await lifeline(['--json', 'plan', ...args], env);
  if (!r.stdout.trim())
    throw new Error(`lifeline plan ${args.join(' ')} printed nothing (exit ${r.code}): ${r.stderr}`);
  return { code: r.code, plan: JSON.parse(r.stdout) as RollbackPlan };
}
