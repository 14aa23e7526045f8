/**
 * A real docker-compose project (Debian's docker-compose 1.29) with networks, aliases, published ports,
 * limits, hardening, tmpfs, ulimits, log options, an anonymous volume, depends_on and a scaled service,
 * configured in Lifeline with no container names. After a bad deploy by `docker-compose up -d` and a quick
 * rollback, every container is as compose made it; compose still manages the project; the compose files
 * and .env are back; the anonymous volume's data survived; what it made is what `lifeline plan` said it would,
 * field by field. No traffic is sent to container addresses.
 */
import type Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ReleaseStore } from '../src/store/release-store';
import type { Release, ReleaseSummary } from '../src/domain/release';
import type { RollbackResult } from '../src/workflows/steps/finish-rollback';
import { createTestEnv, FAST_TIMEOUTS, harnessState, TestEnv } from './harness/env';
import { containerSettings, planOf } from './harness/plan';
import { TEST_DIR } from './harness/paths';
import { waitFor } from './harness/waits';

const run = promisify(execFile);
const PROJECT = 'lfcompose';
let env: TestEnv;
let dir: string;

const COMPOSE_FILE = `
version: "2.4"
services:
  db:
    image: lifeline-fixture/spacetime:\${IMAGE_TAG}
    hostname: db-host
    environment: [PORT=19701, SERVICE=db]
    networks:
      backend: { aliases: [database, db-primary] }
    volumes: [/data]
    read_only: true
    tmpfs: [/tmp]
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    mem_limit: 64m
    cpus: 0.5
    pids_limit: 64
    ulimits: { nofile: { soft: 1024, hard: 2048 } }
    extra_hosts: ["telemetry.internal:127.0.0.2"]
    logging: { driver: json-file, options: { max-size: 1m, max-file: "2" } }
    labels: { com.example.tier: data }
    init: true
    stop_grace_period: 3s
    stop_signal: SIGTERM
    restart: unless-stopped
  api:
    image: lifeline-fixture/spacetime:\${IMAGE_TAG}
    environment: [PORT=19702, SERVICE=api]
    networks:
      backend: { aliases: [api-internal] }
      frontend: {}
    ports: ["127.0.0.1:19703:19702"]
    expose: ["19702"]
    depends_on: { db: { condition: service_healthy } }
    working_dir: /www
    sysctls: { net.ipv4.ip_unprivileged_port_start: "1024" }
  worker:
    image: lifeline-fixture/spacetime:\${IMAGE_TAG}
    environment: [PORT=19704, SERVICE=worker]
    networks: [backend]
    scale: 2
networks:
  backend: {}
  frontend: {}
`;

const compose = (...args: string[]) =>
  run('docker-compose', ['-p', PROJECT, ...args], {
    cwd: dir,
    env: { ...process.env, COMPOSE_INTERACTIVE_NO_CLI: '1' },
  });

async function projectContainers(docker: Docker): Promise<Docker.ContainerInspectInfo[]> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${PROJECT}`] },
  });
  const infos = await Promise.all(list.map((c) => docker.getContainer(c.Id).inspect()));
  return infos.sort((a, b) => a.Name.localeCompare(b.Name));
}

/** Every field a compose file can set, as docker inspect shows it; engine-made IDs left out. */
function fidelity(c: Docker.ContainerInspectInfo) {
  const shortId = c.Id.slice(0, 12);
  const hc = c.HostConfig as Record<string, unknown>;
  const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));
  return {
    name: c.Name,
    config: {
      ...pick(c.Config as unknown as Record<string, unknown>, [
        'Image',
        'User',
        'WorkingDir',
        'Env',
        'Cmd',
        'Entrypoint',
        'ExposedPorts',
        'Volumes',
        'StopSignal',
        'StopTimeout',
        'Tty',
        'OpenStdin',
        'Healthcheck',
        'Domainname',
      ]),
      Hostname: c.Config.Hostname === shortId ? '(container id)' : c.Config.Hostname,
      Labels: Object.fromEntries(Object.entries(c.Config.Labels ?? {}).filter(([k]) => !k.startsWith('lifeline.'))),
    },
    hostConfig: pick(hc, [
      'Memory',
      'MemoryReservation',
      'MemorySwap',
      'NanoCpus',
      'CpuShares',
      'CpuQuota',
      'PidsLimit',
      'CapAdd',
      'CapDrop',
      'SecurityOpt',
      'ReadonlyRootfs',
      'Tmpfs',
      'Ulimits',
      'ExtraHosts',
      'LogConfig',
      'PortBindings',
      'RestartPolicy',
      'Init',
      'NetworkMode',
      'Binds',
      'Sysctls',
      'ShmSize',
      'Dns',
      'Privileged',
      'Devices',
    ]),
    networks: Object.fromEntries(
      Object.entries(c.NetworkSettings.Networks).map(([n, ep]) => [
        n,
        {
          aliases: (ep.Aliases ?? []).filter((a: string) => a !== shortId && !/^[0-9a-f]{12}$/.test(a)).sort(),
          ipam: ep.IPAMConfig ?? null,
        },
      ]),
    ),
    mounts: (c.Mounts ?? []).map((m) => ({ type: m.Type, name: m.Name, destination: m.Destination, rw: m.RW })),
  };
}

beforeAll(async () => {
  env = await createTestEnv('compose-project');
  dir = mkdtempSync(path.join(TEST_DIR, 'compose-project-'));
  writeFileSync(path.join(dir, 'docker-compose.yml'), COMPOSE_FILE);
  writeFileSync(path.join(dir, '.env'), 'IMAGE_TAG=v2.4.9\n');
});
afterAll(async () => {
  await compose('down', '-v', '--remove-orphans').catch(() => undefined);
  await env?.teardown();
});

test('a compose project round-trips through a quick rollback: settings, networks, volumes, order, and compose still in charge', async () => {
  await compose('up', '-d');
  await waitFor(
    async () =>
      (await projectContainers(env.docker)).every((c) => c.State.Health?.Status === 'healthy') ? true : undefined,
    'compose project healthy',
    60_000,
  );
  const original = await projectContainers(env.docker);
  expect(original.map((c) => c.Name)).toEqual([
    `/${PROJECT}_api_1`,
    `/${PROJECT}_db_1`,
    `/${PROJECT}_worker_1`,
    `/${PROJECT}_worker_2`,
  ]);
  const db = original.find((c) => c.Name.endsWith('_db_1'))!;
  await env.docker
    .getContainer(db.Id)
    .exec({ Cmd: ['/bin/sh', '-c', 'echo kept-across-rollbacks > /data/marker'], AttachStdout: true })
    .then((e) => e.start({}));
  await waitFor(
    async () => ((await execOut(env.docker, db.Id, ['/bin/cat', '/data/marker'])).includes('kept') ? true : undefined),
    'marker written',
  );

  // Lifeline knows the project by name only: no container names.
  const stack = env.stack(PROJECT, {
    ports: [],
    services: [],
    config: {
      project: PROJECT,
      services: { db: {}, api: {}, worker: {} },
      statusUrl: undefined,
      smokeTests: [],
      timeouts: FAST_TIMEOUTS,
    } as never,
  });
  expect(stack.services.every((s) => s.container === undefined)).toBe(true);
  const b = await env.start('backup', { stack, trigger: 'cli', requestedBy: 'test', reason: 'good', knownGood: true });
  const { release: good } = (await b.result()) as { release: ReleaseSummary };
  expect(good.services).toBe(4); // two replicas of worker
  const recorded: Release = await new ReleaseStore(env.dataDir).get(PROJECT, good.id);
  expect(recorded.configFiles.map((f) => f.source).sort()).toEqual([
    path.join(dir, '.env'),
    path.join(dir, 'docker-compose.yml'),
  ]);
  expect(recorded.services.find((s) => s.service === 'api')?.dependsOn).toEqual([
    { service: 'db', condition: 'service_healthy' },
  ]);

  // A person deploys a bad version with compose.
  writeFileSync(path.join(dir, '.env'), 'IMAGE_TAG=v2.5.3\n');
  await compose('up', '-d');
  expect((await projectContainers(env.docker)).map((c) => c.Config.Image)).toEqual(
    Array(4).fill('lifeline-fixture/spacetime:v2.5.3'),
  );

  // What `lifeline plan` says the quick rollback would do, before it does it.
  const { code, plan } = await planOf([PROJECT], {
    LIFELINE_CONFIG: env.configFile,
    TEMPORAL_ADDRESS: harnessState().address,
  });
  expect(code).toBe(0);
  expect(plan.target.releaseId).toBe(good.id);
  expect(plan.configFiles).toEqual([
    { path: path.join(dir, 'docker-compose.yml'), now: 'unchanged' },
    { path: path.join(dir, '.env'), now: 'changed' },
  ]);
  const names = (s: string) => `${PROJECT}_${s}`;
  expect(plan.order).toEqual([
    { step: 1, what: 'stop every service together', containers: [] },
    { step: 2, what: 'start', containers: [names('db_1'), names('worker_1'), names('worker_2')] },
    { step: 3, what: 'start once db healthy', containers: [names('api_1')] },
  ]);
  for (const s of plan.services) {
    expect(s.action).toBe('recreate');
    // compose 1.29 gives a container it recreates `affinity:container==<old id>` (to keep its anonymous volumes).
    expect(s.changes.filter((c) => c !== 'env removed: affinity:container')).toEqual([
      'image lifeline-fixture/spacetime:v2.5.3 -> lifeline-fixture/spacetime:v2.4.9',
    ]);
  }
  expect(plan.services.find((s) => s.service === 'api')?.to).toMatchObject({
    ports: ['127.0.0.1:19703->19702/tcp'],
    networks: [`${PROJECT}_backend`, `${PROJECT}_frontend`],
  });

  const h = await env.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'v2.5.3 errors' });
  expect((await h.result()) as RollbackResult).toMatchObject({ status: 'completed', toRelease: good.id });
  // What the rollback made is what the plan said, field by field, and the files it named are the release's.
  for (const s of plan.services) expect(await containerSettings(env.docker, s.container)).toEqual(s.to);
  for (const f of plan.configFiles)
    expect(createHash('sha256').update(readFileSync(f.path)).digest('hex')).toBe(
      recorded.configFiles.find((r) => r.source === f.path)?.sha256,
    );

  const after = await projectContainers(env.docker);
  expect(after.map(fidelity)).toEqual(original.map(fidelity));
  // The anonymous volume was re-attached, with its data.
  const dbAfter = after.find((c) => c.Name.endsWith('_db_1'))!;
  expect(dbAfter.Mounts.find((m) => m.Destination === '/data')?.Name).toBe(
    db.Mounts.find((m) => m.Destination === '/data')?.Name,
  );
  expect(await execOut(env.docker, dbAfter.Id, ['/bin/cat', '/data/marker'])).toContain('kept-across-rollbacks');
  // depends_on: api started once db was healthy.
  const apiAfter = after.find((c) => c.Name.endsWith('_api_1'))!;
  expect(Date.parse(apiAfter.State.StartedAt)).toBeGreaterThan(Date.parse(dbAfter.State.StartedAt));

  // The compose files are back, so a person's next `up -d` keeps the good version and changes nothing.
  expect(readFileSync(path.join(dir, '.env'), 'utf8')).toBe('IMAGE_TAG=v2.4.9\n');
  const ps = await compose('ps');
  for (const n of ['api_1', 'db_1', 'worker_1', 'worker_2'])
    expect(ps.stdout).toMatch(new RegExp(`${PROJECT}_${n}\\s.*Up`));
  const up = await compose('up', '-d');
  expect(`${up.stdout}${up.stderr}`).not.toMatch(/Recreating|Creating lfcompose_/);
  expect((await projectContainers(env.docker)).map((c) => c.Id)).toEqual(after.map((c) => c.Id));
  await compose('down');
  expect(await projectContainers(env.docker)).toEqual([]);
});

async function execOut(docker: Docker, id: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => resolve());
  });
  return Buffer.concat(chunks).toString('utf8');
}
