/**
 * A stack's ingress (nginx) and the services it fronts, for the gapless swap: on this host's network each
 * fronted service listens on one of two ports in turn, so the target starts on the other port beside the
 * running one, and the upstream moves once it is healthy. Pure rules only; the engine work is in activities.
 */
import { z } from 'zod';

const port = z.number().int().min(1).max(65535);

export const ingressSchema = z.strictObject({
  /** The nginx container in front of the stack's services. */
  container: z.string().min(1),
  /** File inside it that holds the upstream blocks; Lifeline rewrites it and reloads. */
  upstreamFile: z.string().default('/etc/nginx/upstream.conf'),
  configFile: z.string().default('/etc/nginx/nginx.conf'),
  /** The services it fronts: the upstream each belongs to, and the two ports it listens on in turn. */
  services: z.record(
    z.string(),
    z.strictObject({
      upstream: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'an nginx upstream name'),
      ports: z.tuple([port, port]).refine(([a, b]) => a !== b, 'two different ports'),
      /** The environment variable the service reads its listen port from. */
      portEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .default('PORT'),
    }),
  ),
});
export type IngressConfig = z.infer<typeof ingressSchema>;
export type FrontedService = IngressConfig['services'][string];

/** Why an ingress section does not fit its stack's services (empty: it fits). */
export function ingressProblems(
  ingress: IngressConfig | undefined,
  services: Record<string, { stopFirst?: boolean }>,
): string[] {
  if (!ingress) return [];
  return Object.keys(ingress.services).flatMap((name) => {
    if (!Object.prototype.hasOwnProperty.call(services, name))
      return [`ingress.services.${name}: not one of the stack's services`];
    if (services[name].stopFirst)
      return [`ingress.services.${name}: declared stopFirst, so it cannot run beside its replacement`];
    return [];
  });
}

/** The value of `name` in a container's environment (`NAME=value` entries). */
export const envValue = (env: readonly string[], name: string): string | undefined =>
  env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);

/** `env` with `name` set to `value` (replaced where it was, else added). */
export function withEnv(env: readonly string[], name: string, value: string): string[] {
  const entry = `${name}=${value}`;
  return env.some((e) => e.startsWith(`${name}=`))
    ? env.map((e) => (e.startsWith(`${name}=`) ? entry : e))
    : [...env, entry];
}

/** The port a fronted service's next container takes: the one of its two its running container is not on. */
export const nextPort = (service: FrontedService, runningPort: number | undefined): number =>
  runningPort === service.ports[0] ? service.ports[1] : service.ports[0];

/** One nginx upstream block (blue-green's and the gapless swap's). */
export const upstreamBlock = (name: string, servers: readonly string[]): string =>
  `upstream ${name} {${servers.map((a) => ` server ${a};`).join('')} }\n`;

/** The upstream file: one block per upstream, with the loopback address of each of its services' port. */
export function upstreamFile(ingress: IngressConfig, portOf: (service: string) => number): string {
  const byUpstream = new Map<string, string[]>();
  for (const [name, s] of Object.entries(ingress.services).sort(([a], [b]) => a.localeCompare(b)))
    byUpstream.set(s.upstream, [...(byUpstream.get(s.upstream) ?? []), `127.0.0.1:${portOf(name)}`]);
  return [...byUpstream].map(([name, servers]) => upstreamBlock(name, servers)).join('');
}

/** A health URL moved to the port the service listens on now. */
export function onPort(url: string, listenPort: number): string {
  const u = new URL(url);
  u.port = String(listenPort);
  return u.toString();
}
