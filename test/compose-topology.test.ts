/**
 * The shipped production topology works: docker-compose.yml, started by docker-compose 1.29 with an
 * override that adapts it to this machine (test/harness/compose-topology.ts says what it replaces and
 * why: no registry, no bridge network). Every Lifeline service runs as shipped: two orchestration workers,
 * one host worker with the Docker socket, two API replicas behind the shipped nginx config, all on mTLS to
 * `temporal-frontend`, all with the shipped secrets and LIFELINE_DATA_DIR on the one data volume.
 *
 * A quick rollback requested through the load balancer completes; the host worker and the API replicas
 * are recreated; the releases (read by the CLI in the new host container) and the API's signature ledger
 * survive, both replicas see the same ledger, and the API still checks a releaseId against the host's
 * store. The Web UI's codec endpoint is where the API serves the codec.
 */
import { Client, Connection } from '@temporalio/client';
import Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { startProcedure } from '../src/client/start-procedure';
import { lifelineDataConverter } from '../src/codec/data-converter';
import { configSchema, resolveStack, ResolvedStack } from '../src/domain/config';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import type { ReleaseSummary } from '../src/domain/release';
import { TOOLBOX_IMAGE } from '../src/activities/volumes';
import { NGINX_IMAGE } from '../src/fixtures/images';
import { fixtureContainer, removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { onCleanup } from './harness/cleanup';
import { buildLifelineImage, writeOverride, writeSecrets } from './harness/compose-topology';
import { FAST_TIMEOUTS, harnessState } from './harness/env';
import { ROOT, TEST_DIR } from './harness/paths';
import { waitFor } from './harness/waits';

const run = promisify(execFile);
/** The topology under test: the shipped file, or another copy of it (LIFELINE_TOPOLOGY_COMPOSE_FILE, e.g. an older one). */
const COMPOSE_FILE = process.env.LIFELINE_TOPOLOGY_COMPOSE_FILE ?? path.join(ROOT, 'docker-compose.yml');
const PROJECT = 'lftopology';
const STACK = 'topology';
const TASK_QUEUE = 'lifeline-topology';
const PORTS = { lb: 17410, api: [17411, 17412], apiClaims: [17421, 17422], frontend: 17433 };
const APP_PORTS = [17441, 17442];
const LB = `http://127.0.0.1:${PORTS.lb}`;
const REPLICAS = PORTS.api.map((p) => `http://127.0.0.1:${p}`);

let docker: Docker;
let dir: string;
let override: string;
let secrets: { apiToken: string; webhookSecret: string };
let stack: ResolvedStack;
let client: Client;
const timings: Record<string, number> = {};

const compose = (...args: string[]) =>
  run('docker-compose', ['-p', PROJECT, '-f', COMPOSE_FILE, '-f', override, ...args], {
    cwd: ROOT,
    env: { ...process.env, COMPOSE_INTERACTIVE_NO_CLI: '1' },
    maxBuffer: 16 << 20,
  });

const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    timings[what] = Date.now() - started;
  }
};

const serviceContainers = (service: string) =>
  docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${PROJECT}`, `com.docker.compose.service=${service}`] },
  });

async function logsOf(id: string): Promise<string> {
  const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: 400 })) as unknown as Buffer;
  return buf.toString('utf8');
}

/** Every worker container runs and has connected; every API replica and the load balancer answer. On timeout, the logs. */
async function waitReady(): Promise<void> {
  await waitFor(
    async () => {
      for (const service of ['lifeline-orchestration', 'lifeline-host']) {
        for (const c of await serviceContainers(service))
          if (c.State !== 'running' || !(await logsOf(c.Id)).includes('lifeline worker:')) return undefined;
      }
      for (const url of [...REPLICAS, LB]) if ((await fetch(`${url}/healthz`)).status !== 200) return undefined;
      return true;
    },
    'the topology to be ready',
    60_000,
  ).catch(async (err) => {
    const { stdout } = await compose('logs', '--no-color', '--tail', '30').catch(() => ({ stdout: '' }));
    throw new Error(`${(err as Error).message}\n${stdout.slice(-8000)}`);
  });
}

const bearer = () => ({ Authorization: `Bearer ${secrets.apiToken}` });

async function api(base: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

let signatures = 0;
/**
 * A GitHub-style signature (X-Hub-Signature-256 with X-Lifeline-Timestamp) over one alert post (a signature
 * opens alert routes only). The signed text is timestamp, method, path and body: a counter in the alert's
 * fingerprint makes each new signature differ from the last even within one second. A low alert starts nothing.
 */
function signedAlert(): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    stack: STACK,
    name: 'MemoryLeak',
    severity: 'low',
    fingerprint: `ledger-${++signatures}`,
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', secrets.webhookSecret).update(`${ts}:POST:/v1/alerts:${body}`).digest('hex');
  return { body, headers: { 'X-Hub-Signature-256': `sha256=${sig}`, 'X-Lifeline-Timestamp': ts } };
}

const postSigned = async (base: string, s: { body: string; headers: Record<string, string> }) => {
  const res = await fetch(`${base}/v1/alerts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...s.headers },
    body: s.body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

/** Polls the procedure through the load balancer, as a caller of the API would, until it closes. */
async function waitClosed(workflowId: string) {
  return waitFor(
    async () => {
      const r = await api(LB, 'GET', `/v1/workflows/${workflowId}`, undefined, bearer());
      return r.status === 200 && r.body.status !== 'RUNNING' ? r.body : undefined;
    },
    `${workflowId} to close`,
    60_000,
  );
}

async function backup(tag: string): Promise<ReleaseSummary> {
  await upFixtureStack(docker, stack, tag);
  await waitFixtureHealthy(docker, stack);
  const { handle } = await startProcedure(
    client,
    'backup',
    { stack, trigger: 'cli', requestedBy: 'test', reason: `good ${tag}`, knownGood: true },
    { taskQueue: TASK_QUEUE },
  );
  return ((await handle.result()) as { release: ReleaseSummary }).release;
}

async function runningImages(): Promise<string[]> {
  return Promise.all(
    stack.services.map(async (s) => (await docker.getContainer(fixtureContainer(stack, s)).inspect()).Config.Image),
  );
}

beforeAll(async () => {
  const started = Date.now();
  docker = new Docker();
  dir = mkdtempSync(path.join(TEST_DIR, 'topology-'));
  override = path.join(dir, 'docker-compose.override.yml');
  // Registered before anything is made: a failed start is cleaned up too.
  onCleanup(async () => {
    const down = Date.now();
    // The stack's owner workflow waits for requests forever, holding payloads under this run's keys.
    await client?.workflow
      .getHandle(ownerWorkflowId(STACK))
      .terminate('compose-topology test done')
      .catch(() => undefined);
    await client?.connection.close();
    await compose('down', '--volumes', '--remove-orphans', '--timeout', '2').catch(() => undefined);
    // Whatever `down` missed (an interrupted start): the project's containers, volumes and networks.
    for (const c of await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${PROJECT}`] },
    }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`com.docker.compose.project=${PROJECT}`] } });
    for (const v of Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
    for (const n of await docker.listNetworks({ filters: { label: [`com.docker.compose.project=${PROJECT}`] } }))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
    if (stack) await removeFixtureStack(docker, stack);
    rmSync(dir, { recursive: true, force: true });
    timings.down = Date.now() - down;
    process.stdout.write(`compose-topology timings (ms): ${JSON.stringify(timings)}\n`);
  });

  const image = await timed('image', () => buildLifelineImage(docker));
  secrets = await timed('secrets', () => writeSecrets(path.join(dir, 'secrets')));
  // The operator's lifeline.yaml: its relative dataDir is what LIFELINE_DATA_DIR must override.
  const stackInput = {
    host: 'local',
    project: 'lftopology-app',
    services: {
      godot: { healthUrl: `http://127.0.0.1:${APP_PORTS[0]}/health` },
      api: { healthUrl: `http://127.0.0.1:${APP_PORTS[1]}/health` },
    },
    statusUrl: `http://127.0.0.1:${APP_PORTS[0]}/status`,
    smokeTests: ['godot', 'api'].map((s, i) => ({
      name: `${s} ready`,
      url: `http://127.0.0.1:${APP_PORTS[i]}/status`,
      jsonPath: 'overall_ready',
      jsonEquals: true,
    })),
    timeouts: FAST_TIMEOUTS,
  };
  const configFile = path.join(dir, 'lifeline.yaml');
  writeFileSync(configFile, stringify({ dataDir: '.data', stacks: { [STACK]: stackInput } }));
  stack = resolveStack(configSchema.parse({ dataDir: '/var/lib/lifeline', stacks: { [STACK]: stackInput } }), STACK);
  writeOverride({
    dir,
    image: image.ref,
    placeholderImage: TOOLBOX_IMAGE,
    nginxImage: NGINX_IMAGE,
    configFile,
    secretsDir: path.join(dir, 'secrets'),
    temporalAddress: harnessState().address,
    taskQueue: TASK_QUEUE,
    ports: PORTS,
  });
  client = new Client({
    connection: await Connection.connect({ address: harnessState().address }),
    dataConverter: lifelineDataConverter(dir, {
      LIFELINE_CODEC_KEYS_FILE: path.join(dir, 'secrets/lifeline_codec_keys'),
    }),
  });
  // An owner left by an interrupted run holds payloads under other keys: this run's workers could not read them.
  await client.workflow
    .getHandle(ownerWorkflowId(STACK))
    .terminate('left by an earlier run')
    .catch(() => undefined);
  await timed('compose up', () => compose('up', '--detach'));
  await timed('ready', waitReady);
  timings.beforeAll = Date.now() - started;
}, 170_000);

let older: ReleaseSummary;
let good: ReleaseSummary;
let rollbackId: string;

test('a quick rollback requested through the load balancer completes', async () => {
  const started = Date.now();
  older = await backup('v2.4.8');
  good = await backup('v2.4.9');
  await upFixtureStack(docker, stack, 'v2.5.0'); // the broken deploy

  const res = await api(LB, 'POST', '/v1/rollbacks', { stack: STACK, reason: 'v2.5.0 fails health checks' }, bearer());
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ procedure: 'quick-rollback', outcome: 'started' });
  rollbackId = res.body.workflowId;
  const done = await waitClosed(rollbackId);
  expect(done).toMatchObject({ status: 'COMPLETED', outcome: 'completed', toRelease: good.id });
  expect(await runningImages()).toEqual(['lifeline-fixture/spacetime:v2.4.9', 'lifeline-fixture/spacetime:v2.4.9']);
  timings.rollback = Date.now() - started;
});

test('the API replicas share one signature ledger: a signature used on one is refused by the other', async () => {
  const signed = signedAlert();
  expect((await postSigned(REPLICAS[0], signed)).status).toBe(202);
  const replay = await postSigned(REPLICAS[1], signed);
  expect(replay).toMatchObject({ status: 401, body: { error: 'replayed signature' } });
  // The second replica takes signatures: a fresh one passes there.
  expect((await postSigned(REPLICAS[1], signedAlert())).status).toBe(202);
});

test('recreating the host worker and the API replicas keeps the releases and the ledger', async () => {
  const before = {
    host: (await serviceContainers('lifeline-host')).map((c) => c.Id),
    api: (await serviceContainers('lifeline-api')).map((c) => c.Id),
  };
  // Nothing went into the host container's writable layer (only the config file's mount point is there).
  const changes = ((await docker.getContainer(before.host[0]).changes()) ?? []) as { Path: string }[];
  expect(changes.map((c) => c.Path).filter((p) => p.startsWith('/etc/lifeline/') || p.startsWith('/app/'))).toEqual([
    '/etc/lifeline/lifeline.yaml',
  ]);
  const signed = signedAlert();
  expect((await postSigned(REPLICAS[1], signed)).status).toBe(202);

  await timed('recreate', () =>
    compose('up', '--detach', '--no-deps', '--force-recreate', 'lifeline-host', 'lifeline-api'),
  );
  await waitReady();
  const after = {
    host: (await serviceContainers('lifeline-host')).map((c) => c.Id),
    api: (await serviceContainers('lifeline-api')).map((c) => c.Id),
  };
  expect(after.host).toHaveLength(1);
  expect(after.api).toHaveLength(2);
  expect(after.host.filter((id) => before.host.includes(id))).toEqual([]);
  expect(after.api.filter((id) => before.api.includes(id))).toEqual([]);

  // The operator's view, from the new host container: every release is still there, marks and all.
  const { stdout } = await compose(
    'exec',
    '-T',
    'lifeline-host',
    'node',
    'dist/client/cli.js',
    '--json',
    'releases',
    STACK,
  );
  const releases = JSON.parse(stdout) as ReleaseSummary[];
  expect(releases.map((r) => r.id)).toEqual(expect.arrayContaining([older.id, good.id]));
  expect(releases.find((r) => r.id === good.id)).toMatchObject({ knownGood: true });
  expect(releases.find((r) => r.id === older.id)).toMatchObject({ knownGood: true });
  const broken = releases.find((r) => r.imageTags.godot === 'v2.5.0');
  expect(broken?.knownBad).toBeTruthy();

  // The orchestration workers' incident report of the quick rollback is on the same volume.
  const report = `${rollbackId.replace(/[^A-Za-z0-9_.-]/g, '_')}.md`;
  await waitFor(async () => {
    const { stdout: ls } = await compose(
      'exec',
      '-T',
      'lifeline-host',
      'node',
      '-e',
      "console.log(require('fs').readdirSync('/var/lib/lifeline/incidents/topology').join('\\n'))",
    );
    return ls.split('\n').includes(report) || undefined;
  }, `incident report ${report} on the data volume`);

  // The ledger survived both replicas' recreation, and each new replica reads it.
  for (const replica of REPLICAS)
    expect(await postSigned(replica, signed)).toMatchObject({
      status: 401,
      body: { error: 'replayed signature' },
    });

  // The API checks a releaseId against the host's store: an unknown one is refused, a recorded one restored.
  const unknown = await api(LB, 'POST', '/v1/rollbacks', { stack: STACK, releaseId: '20000101-000000' }, bearer());
  expect(unknown.status).toBe(404);
  const res = await api(
    REPLICAS[1],
    'POST',
    '/v1/rollbacks',
    { stack: STACK, releaseId: older.id, reason: 'back to v2.4.8', force: true },
    bearer(),
  );
  expect(res).toMatchObject({ status: 202, body: { procedure: 'specific-version-rollback' } });
  expect(await waitClosed(res.body.workflowId)).toMatchObject({
    status: 'COMPLETED',
    outcome: 'completed',
    toRelease: older.id,
  });
  expect(await runningImages()).toEqual(['lifeline-fixture/spacetime:v2.4.8', 'lifeline-fixture/spacetime:v2.4.8']);
});

test("the Web UI's codec endpoint is the API's codec, through the load balancer, for the UI's origin", async () => {
  const { stdout } = await run('docker-compose', ['-f', COMPOSE_FILE, 'config'], {
    cwd: ROOT,
  });
  const { services } = parse(stdout) as {
    services: Record<string, { environment: Record<string, string>; ports: string[] }>;
  };
  const endpoint = new URL(services['temporal-ui'].environment.TEMPORAL_CODEC_ENDPOINT);
  // docker-compose 1.29 prints each published port as host_ip:published:target/protocol.
  const published = (service: string) => /^([\d.]+):(\d+):/.exec(services[service].ports[0])!.slice(1, 3).join(':');
  // The browser reaches the load balancer where it is published, from the UI's origin.
  expect(endpoint.host).toBe(published('lifeline-lb'));
  const origin = `http://${published('temporal-ui')}`;

  // What the browser does: log in once (a session cookie for the codec's path), then, from the UI's origin,
  // a CORS preflight and the decode call carrying only the cookie.
  const login = await fetch(`${LB}${endpoint.pathname}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: secrets.apiToken }).toString(),
  });
  expect(login.status).toBe(200);
  const cookie = /^([^;]+);.*Path=([^;]+)/.exec(login.headers.get('set-cookie') ?? '');
  expect(cookie?.[2]).toBe(endpoint.pathname);
  const preflight = await fetch(`${LB}${endpoint.pathname}/decode`, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type',
    },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
  const payload = {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from('"hi"').toString('base64'),
  };
  const encoded = await api(LB, 'POST', `${endpoint.pathname}/encode`, { payloads: [payload] }, bearer());
  expect(encoded.status).toBe(200);
  const decoded = await api(LB, 'POST', `${endpoint.pathname}/decode`, encoded.body, {
    Origin: origin,
    Cookie: cookie![1],
  });
  expect(decoded).toMatchObject({ status: 200, body: { payloads: [payload] } });
  expect(decoded.headers.get('access-control-allow-origin')).toBe(origin);
  expect(decoded.headers.get('access-control-allow-credentials')).toBe('true');
  // ...which the UI sends only when told to include credentials.
  expect(services['temporal-ui'].environment.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
});
