/**
 * Docker Compose's conventions, as Lifeline reads them: the labels that name a container's project and
 * service, where the project's files are, `depends_on`, and the order in which services start.
 */
import type { ContainerSpec } from './release';

export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  environmentFile: 'com.docker.compose.project.environment_file',
  dependsOn: 'com.docker.compose.depends_on',
} as const;

export type DependsOn = NonNullable<ContainerSpec['dependsOn']>;
const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'] as const;
type Condition = (typeof CONDITIONS)[number];
const asCondition = (c: unknown): Condition =>
  CONDITIONS.includes(c as Condition) ? (c as Condition) : 'service_started';

/** The project's compose files and .env, as absolute paths, from a container's compose labels. */
export function composeFilesOf(labels: Record<string, string>, join: (dir: string, file: string) => string): string[] {
  const dir = labels[COMPOSE_LABELS.workingDir];
  if (!dir) return [];
  const files = (labels[COMPOSE_LABELS.configFiles] ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const env = labels[COMPOSE_LABELS.environmentFile]
    ?.split(',')
    .map((f) => f.trim())
    .filter(Boolean) ?? [join(dir, '.env')];
  return [...new Set([...files, ...env].map((f) => (f.startsWith('/') ? f : join(dir, f))))];
}

/** Compose v2's depends_on label: "db:service_healthy:false,cache:service_started:true". */
export function dependsOnFromLabel(label: string | undefined): DependsOn | undefined {
  if (!label) return undefined;
  return label
    .split(',')
    .map((d) => d.split(':'))
    .filter(([service]) => service)
    .map(([service, condition]) => ({ service, condition: asCondition(condition) }));
}

/** `depends_on` of one service in a parsed compose file: the short list form or the long map form. */
export function dependsOnFromCompose(file: unknown, service: string): DependsOn | undefined {
  const d = (file as { services?: Record<string, { depends_on?: unknown }> })?.services?.[service]?.depends_on;
  if (Array.isArray(d))
    return d
      .filter((x): x is string => typeof x === 'string')
      .map((s) => ({ service: s, condition: 'service_started' }));
  if (d && typeof d === 'object') {
    return Object.entries(d as Record<string, { condition?: unknown }>).map(([s, v]) => ({
      service: s,
      condition: asCondition(v?.condition),
    }));
  }
  return undefined;
}

/**
 * Start order as waves: every spec in a wave depends only on services of earlier waves. A dependency
 * outside the release is ignored; a cycle is broken by starting what remains together, as compose refuses
 * cycles before any container exists. Each wave also names the services that must be healthy before it.
 */
export function startWaves<T extends Pick<ContainerSpec, 'service' | 'dependsOn'>>(
  specs: T[],
): { specs: T[]; healthyFirst: string[] }[] {
  const present = new Set(specs.map((s) => s.service));
  const started = new Set<string>();
  const waves: { specs: T[]; healthyFirst: string[] }[] = [];
  let left = [...specs];
  while (left.length) {
    const deps = (s: T) => (s.dependsOn ?? []).filter((d) => present.has(d.service) && d.service !== s.service);
    let ready = left.filter((s) => deps(s).every((d) => started.has(d.service)));
    if (ready.length === 0) ready = left;
    const healthyFirst = [
      ...new Set(
        ready.flatMap((s) =>
          deps(s)
            .filter((d) => d.condition === 'service_healthy')
            .map((d) => d.service),
        ),
      ),
    ];
    waves.push({ specs: ready, healthyFirst });
    for (const s of ready) started.add(s.service);
    left = left.filter((s) => !ready.includes(s));
  }
  return waves;
}
