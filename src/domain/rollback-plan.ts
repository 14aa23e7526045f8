/**
 * What a rollback or deploy would do, worked out without doing it (`lifeline plan`): the target it would
 * choose and why, what changes per service, the config files it puts back, the order it recreates
 * containers in, and what would stop it. The rules are the procedures' own (rollbackCandidates,
 * specsOf, startWaves, admit), so the plan and the run cannot disagree. Environment values never appear:
 * only keys, since any of them may hold a secret.
 */
import type { ResolvedStack } from './config';
import { startWaves } from './compose';
import { nextPort, withEnv } from './ingress';
import {
  admit,
  busyMessage,
  heldMessage,
  recentMessage,
  EndedProcedure,
  OwnedProcedure,
  RunningProcedure,
  StackHold,
} from './ownership';
import type { ContainerSpec, Release, ReleaseSummary } from './release';
import { explicitTargetConcern, rollbackCandidates } from './release-rules';
import { specsOf } from './spec-source';

export type PlanMethod =
  | { method: 'quick' }
  | { method: 'release'; releaseId: string }
  | { method: 'image-tag'; imageTag: string }
  | { method: 'deploy'; imageTag: string }
  | { method: 'blue-green' };

/** The procedure each method runs. */
export const PLAN_PROCEDURE: Record<PlanMethod['method'], OwnedProcedure> = {
  quick: 'quick-rollback',
  release: 'specific-version-rollback',
  'image-tag': 'container-rollback',
  deploy: 'automatic-rollback',
  'blue-green': 'blue-green-rollback',
};

export interface TargetChoice {
  /** The recorded release the procedure restores; absent for an image tag (the running state, retagged). */
  releaseId?: string;
  why: string;
  /** Newer releases an automatic choice passes over, and why. */
  skipped: { id: string; why: string }[];
  /** The procedure asks a person to confirm this target first. */
  confirm?: string;
  /** Nothing to choose: the procedure would fail here. */
  problem?: string;
}

const skipReason = (r: ReleaseSummary): string =>
  r.knownBad
    ? `known-bad${r.fact ? ` (${r.fact.reason})` : ''}`
    : r.rolledBackFrom
      ? `rolled back from${r.fact ? ` (${r.fact.reason})` : ''}`
      : 'the state running now';

/** The target as the procedure chooses it, from the releases on record and the running state's fingerprint. */
export function chooseTarget(
  m: PlanMethod,
  releases: readonly ReleaseSummary[],
  runningFingerprint: string | null,
): TargetChoice {
  if (m.method === 'image-tag' || m.method === 'deploy') {
    return runningFingerprint
      ? { why: `the state running now, with the app services on image tag ${m.imageTag}`, skipped: [] }
      : { why: '', skipped: [], problem: `no container of the stack exists to take the spec from` };
  }
  if (m.method === 'blue-green') return { why: 'the blue environment, as it runs now', skipped: [] };
  if (m.method === 'release') {
    const r = releases.find((x) => x.id === m.releaseId);
    if (!r) return { why: '', skipped: [], problem: `no release ${m.releaseId} is recorded` };
    const confirm = explicitTargetConcern(r);
    return { releaseId: r.id, why: `named by you (recorded ${r.createdAt}: ${r.reason})`, skipped: [], confirm };
  }
  const candidates = rollbackCandidates(releases, { currentFingerprint: runningFingerprint ?? undefined });
  const target = candidates[0];
  const skipped = releases
    .filter((r) => !target || r.id > target.id)
    .filter((r) => r.id !== target?.id)
    .sort((a, b) => (a.id < b.id ? 1 : -1))
    .map((r) => ({ id: r.id, why: skipReason(r) }));
  if (!target)
    return {
      why: '',
      skipped,
      problem: 'no release to roll back to (all are known-bad or equal to the running state)',
    };
  const vouched = target.knownGood ? ', known-good' : '';
  return { releaseId: target.id, why: `the newest release that is neither bad nor running now${vouched}`, skipped };
}

/** One container's settings as the plan shows them. */
export interface ServiceSettings {
  image: string;
  envKeys: string[];
  ports: string[];
  mounts: string[];
  networks: string[];
}

export interface ServiceChange {
  service: string;
  container: string;
  /** recreate: made anew from the target; stop: runs now but the target has no such container; start: new. */
  action: 'recreate' | 'stop' | 'start';
  from?: ServiceSettings;
  to?: ServiceSettings;
  /** What differs, field by field (environment: keys only). */
  changes: string[];
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

const envMap = (env: readonly string[]) =>
  new Map(env.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)] as [string, string]));

function portsOf(spec: ContainerSpec): string[] {
  const bindings = (spec.hostConfig?.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[]>;
  return sorted(
    Object.entries(bindings).flatMap(([port, hosts]) =>
      (hosts ?? []).map((h) => `${h.HostIp ? `${h.HostIp}:` : ''}${h.HostPort ?? ''}->${port}`),
    ),
  );
}

function settingsOf(spec: ContainerSpec): ServiceSettings {
  return {
    image: spec.image,
    envKeys: sorted(envMap(spec.env).keys()),
    ports: portsOf(spec),
    mounts: sorted(spec.mounts.map((m) => `${m.type} ${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`)),
    networks: sorted(spec.networks ? Object.keys(spec.networks) : [spec.networkMode]),
  };
}

function listChange(field: string, from: string[], to: string[]): string[] {
  const added = to.filter((x) => !from.includes(x));
  const removed = from.filter((x) => !to.includes(x));
  return [
    ...(added.length ? [`${field} added: ${added.join(', ')}`] : []),
    ...(removed.length ? [`${field} removed: ${removed.join(', ')}`] : []),
  ];
}

/** What differs between the running container and the one the target makes (environment values never shown). */
function diffSpecs(from: ContainerSpec, to: ContainerSpec): string[] {
  const a = settingsOf(from);
  const b = settingsOf(to);
  const changes: string[] = [];
  if (a.image !== b.image) changes.push(`image ${a.image} -> ${b.image}`);
  // Containers are made from the tag: a tag moved since the release was recorded runs what it points to now.
  else if (from.imageId !== to.imageId)
    changes.push(`image ${a.image}: the release recorded other content under this tag; the tag's content now runs`);
  const [envA, envB] = [envMap(from.env), envMap(to.env)];
  changes.push(...listChange('env', a.envKeys, b.envKeys));
  const changed = b.envKeys.filter((k) => envA.has(k) && envA.get(k) !== envB.get(k));
  if (changed.length) changes.push(`env changed: ${changed.join(', ')}`);
  changes.push(...listChange('ports', a.ports, b.ports));
  changes.push(...listChange('mounts', a.mounts, b.mounts));
  changes.push(...listChange('networks', a.networks, b.networks));
  return changes;
}

function serviceChanges(running: readonly ContainerSpec[], target: readonly ContainerSpec[]): ServiceChange[] {
  const now = new Map(running.map((s) => [s.name, s]));
  const made = new Set(target.map((s) => s.name));
  return [
    ...target.map((t): ServiceChange => {
      const r = now.get(t.name);
      return r
        ? {
            service: t.service,
            container: t.name,
            action: 'recreate',
            from: settingsOf(r),
            to: settingsOf(t),
            changes: diffSpecs(r, t),
          }
        : { service: t.service, container: t.name, action: 'start', to: settingsOf(t), changes: ['not running now'] };
    }),
    ...running
      .filter((r) => !made.has(r.name))
      .map((r): ServiceChange => ({
        service: r.service,
        container: r.name,
        action: 'stop',
        from: settingsOf(r),
        changes: ['not in the target: stopped, not removed'],
      })),
  ];
}

/** One step of the swap, in the order the procedure takes them. */
export interface SwapStep {
  step: number;
  what: string;
  containers: string[];
}

/**
 * The order the swap recreates containers in: the gapless swap behind an ingress, else stop all then start by
 * waves. `others` run now but the target does not hold them: they are stopped, not removed.
 */
function swapOrder(stack: ResolvedStack, target: readonly ContainerSpec[], others: string[]): SwapStep[] {
  const waves = startWaves([...target]);
  const steps: Omit<SwapStep, 'step'>[] = [];
  const ingress = stack.ingress;
  if (ingress) {
    const stopFirst = new Set(stack.services.filter((s) => s.stopFirst).map((s) => s.name));
    const fronted = (s: ContainerSpec) => Boolean(ingress.services[s.service]) && !stopFirst.has(s.service);
    for (const wave of waves) {
      const beside = wave.specs.filter(fronted);
      if (beside.length)
        steps.push({
          what: 'start beside the running version on the other port, wait until healthy',
          containers: beside.map((s) => s.name),
        });
    }
    steps.push({ what: `switch ${ingress.container} to the new containers, drain the old`, containers: [] });
    const all = waves.flatMap((w) => w.specs);
    steps.push({
      what: 'stop and remove the old, rename the new to their names',
      containers: all.filter(fronted).map((s) => s.name),
    });
    const alone = all.filter((s) => !fronted(s));
    if (alone.length) steps.push({ what: 'stop-first, one at a time', containers: alone.map((s) => s.name) });
    if (others.length) steps.push({ what: 'stop what the target does not hold', containers: others });
  } else {
    steps.push({ what: 'stop every service together', containers: others });
    waves.forEach((wave, i) =>
      steps.push({
        what:
          i === 0 ? 'start' : `start${wave.healthyFirst.length ? ` once ${wave.healthyFirst.join(', ')} healthy` : ''}`,
        containers: wave.specs.map((s) => s.name),
      }),
    );
  }
  return steps.map((s, i) => ({ step: i + 1, ...s }));
}

/** What the owner knows of the stack: a hold, the procedure running, the last one that ended. */
export interface OwnerView {
  hold?: StackHold;
  running?: RunningProcedure;
  lastEnded?: EndedProcedure;
}

/** How the stack's owner would answer the procedure's request now: what blocks it, and what else happens. */
export function ownerAnswer(
  stack: string,
  m: PlanMethod,
  owner: OwnerView,
  opts: { queue?: boolean; force?: boolean; nowMs: number },
): { blockers: string[]; notes: string[] } {
  const procedure = PLAN_PROCEDURE[m.method];
  const answer = admit(
    { procedure, whenBusy: opts.queue ? 'queue' : 'refuse', force: opts.force },
    owner.running,
    undefined,
    { ended: owner.lastEnded, nowMs: opts.nowMs },
    owner.hold,
  );
  const none = { blockers: [], notes: [] };
  const { hold, running, lastEnded } = owner;
  if (answer === 'held' && hold) return { ...none, blockers: [heldMessage(stack, hold)] };
  if (answer === 'busy' && running) return { ...none, blockers: [busyMessage(stack, running)] };
  if (answer === 'recent' && lastEnded) return { ...none, blockers: [recentMessage(stack, lastEnded, opts.nowMs)] };
  if (answer === 'queued' && running)
    return { ...none, notes: [`waits for ${running.procedure} ${running.workflowId} to end first`] };
  if (answer === 'preempting' && running)
    return { ...none, notes: [`stops ${running.procedure} ${running.workflowId} first (lower priority)`] };
  return none;
}

export interface ConfigFilePlan {
  path: string;
  /** changed: the file on disk differs from the release's copy; missing: not on disk now. */
  now: 'unchanged' | 'changed' | 'missing';
}

export interface RollbackPlan {
  stack: string;
  procedure: OwnedProcedure;
  target: TargetChoice & { label?: string };
  services: ServiceChange[];
  configFiles: ConfigFilePlan[];
  order: SwapStep[];
  /** What would stop the procedure now; empty: it would run. */
  blockers: string[];
  /** What runs besides the swap, or after it. */
  notes: string[];
}

export interface PlanFacts {
  stack: ResolvedStack;
  method: PlanMethod;
  choice: TargetChoice;
  running: ContainerSpec[];
  /** What the target is made of: the chosen release's specs, or the running state's (for an image tag). */
  source?: Pick<Release, 'services'>;
  configFiles: ConfigFilePlan[];
  missingImages: string[];
  /** Config files the backup could not copy, or release copies that fail their checksum. */
  fileProblems: string[];
  /** The port each fronted service listens on now (from its container's whole environment). */
  runningPorts: Record<string, number | undefined>;
  owner: { blockers: string[]; notes: string[] };
  /** Blue-green only: the containers of each environment. */
  blueGreen?: { blue: string[]; green: string[] };
}

export function buildPlan(f: PlanFacts): RollbackPlan {
  const { method: m, stack } = f;
  const procedure = PLAN_PROCEDURE[m.method];
  const blockers = [...f.owner.blockers];
  if (f.choice.problem) blockers.push(f.choice.problem);
  if (f.missingImages.length) blockers.push(`image(s) not on this engine: ${f.missingImages.join(', ')}`);
  const notes = [...f.owner.notes];
  if (m.method === 'blue-green') {
    if (!stack.blueGreen) blockers.push(`stack ${stack.name} has no blueGreen section in its config`);
    else if (!f.blueGreen?.blue.length)
      blockers.push(`blue environment ${stack.blueGreen.blue.project} has no containers`);
    return {
      stack: stack.name,
      procedure,
      target: { ...f.choice, label: 'blue' },
      services: [],
      configFiles: [],
      order: [
        { step: 1, what: 'start blue where stopped, wait until healthy', containers: f.blueGreen?.blue ?? [] },
        { step: 2, what: 'switch the ingress to blue, drain the old workers', containers: [] },
        ...(stack.blueGreen?.stopGreen
          ? [{ step: 3, what: 'stop green (kept, not removed)', containers: f.blueGreen?.green ?? [] }]
          : []),
      ],
      blockers,
      notes: [
        ...notes,
        `nothing is recreated; green ${stack.blueGreen?.stopGreen ? 'is stopped but' : 'is left running'}, kept for a fast switch back`,
      ],
    };
  }
  const imageTag = m.method === 'image-tag' || m.method === 'deploy' ? m.imageTag : undefined;
  const target = f.source ? specsOf(stack, f.source, { imageTag }) : [];
  if (f.choice.confirm) notes.push(`asks a person to confirm first: ${f.choice.confirm}`);
  notes.push(
    m.method === 'deploy'
      ? 'backs up the running state first; if the deploy fails its checks, rolls back to that backup'
      : 'backs up the running state first; a failed rollback hands over to the rollback-failed procedure',
  );
  blockers.push(...f.fileProblems);
  const ingress = stack.ingress;
  for (const service of Object.keys(ingress?.services ?? {}))
    if (f.source && target.filter((s) => s.service === service).length !== 1)
      blockers.push(`the ingress fronts ${service}, so the target must hold exactly one container of it`);
  const onPorts = target.map((s) => onIngressPort(stack, s, f.runningPorts[s.service]));
  const services = serviceChanges(
    f.running,
    onPorts.map((p) => p.spec),
  );
  for (const { spec, move } of onPorts) if (move) services.find((c) => c.container === spec.name)?.changes.push(move);
  const others = services.filter((c) => c.action === 'stop').map((c) => c.container);
  return {
    stack: stack.name,
    procedure,
    target: { ...f.choice, label: f.choice.releaseId ?? (imageTag ? `image:${imageTag}` : undefined) },
    services,
    configFiles: f.configFiles,
    order: f.source ? swapOrder(stack, target, others) : [],
    blockers,
    notes,
  };
}

/** Behind an ingress a fronted service moves to the port it is not on now, as the gapless swap moves it. */
function onIngressPort(
  stack: ResolvedStack,
  spec: ContainerSpec,
  runningPort: number | undefined,
): { spec: ContainerSpec; move?: string } {
  const front = stack.ingress?.services[spec.service];
  if (!front || stack.services.find((s) => s.name === spec.service)?.stopFirst) return { spec };
  const port = nextPort(front, runningPort);
  return {
    spec: { ...spec, env: withEnv(spec.env, front.portEnv, String(port)) },
    // The port is the ingress's, from the config: no secret.
    move: `port ${runningPort ?? '(none)'} -> ${port}, beside the running one; ${stack.ingress!.container} follows`,
  };
}
