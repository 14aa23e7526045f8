/** Shared pieces of the benchmarks: a dev server, workers, fixture stacks, timing and reports. */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import Docker from 'dockerode';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema, resolveStack, ResolvedStack } from '../src/domain/config';
import { buildFixtureImages } from '../src/fixtures/images';
import { fixtureContainer } from '../src/fixtures/stack';
import axios from 'axios';
import { PinnedStacks } from '../src/config/pinned-stacks';
import { stringify } from 'yaml';
import { bundleWorkflows, createWorkers } from '../src/worker/workers';
import { lifelineDataConverter } from '../src/codec/data-converter';
import { EncryptionCodec } from '../src/codec/encryption-codec';
import { ensureCodecKeyFile, loadCodecKeys } from '../src/codec/keys';
import { spawnDevServer, waitForTemporal } from '../test/harness/dev-server';

export const ROOT = path.resolve(__dirname, '..');
export const RESULTS = path.join(ROOT, 'bench/results');
export const WORK = mkdtempSync(path.join(os.tmpdir(), 'lifeline-bench-'));
export const BUNDLE_FILE = path.join(WORK, 'workflow-bundle.js');
export const ADDRESS = '127.0.0.1:17333';
/** The benchmark's own payload key: every client and worker encrypts, as in production. */
export const CODEC_ENV = { LIFELINE_CODEC_KEYS_FILE: path.join(WORK, 'codec-keys') };
ensureCodecKeyFile(CODEC_ENV.LIFELINE_CODEC_KEYS_FILE);
const dataConverter = lifelineDataConverter(WORK, CODEC_ENV);
export const codec = new EncryptionCodec(loadCodecKeys(WORK, CODEC_ENV));

export interface BenchEnv {
  client: Client;
  docker: Docker;
  taskQueue: string;
  host: string;
  dataDir: string;
  nativeConnection: NativeConnection;
  stopServer(): void;
}

export async function setUp(): Promise<BenchEnv> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const server = spawnDevServer({
    port: 17333,
    uiPort: 18333,
    dbFile: path.join(WORK, 'temporal.db'),
    logFile: path.join(WORK, 'temporal.log'),
  });
  await waitForTemporal(ADDRESS, 60_000);
  const docker = new Docker();
  await buildFixtureImages(docker);
  const code = await bundleWorkflows();
  writeFileSync(BUNDLE_FILE, code);
  const client = new Client({ connection: await Connection.connect({ address: ADDRESS }), dataConverter });
  return {
    client,
    docker,
    taskQueue: 'bench',
    host: 'bench',
    dataDir: path.join(WORK, 'data'),
    nativeConnection: await NativeConnection.connect({ address: ADDRESS }),
    stopServer: () => server.kill('SIGTERM'),
  };
}

export async function startWorkers(env: BenchEnv): Promise<() => Promise<void>> {
  const workers: Worker[] = await createWorkers({
    connection: env.nativeConnection,
    namespace: 'default',
    host: env.host,
    roles: ['orchestration', 'host'],
    dataConverter,
    stacks: benchPinnedStacks,
    docker: env.docker,
    workflowBundle: { codePath: BUNDLE_FILE },
    taskQueue: env.taskQueue,
  });
  const running = workers.map((w) => w.run());
  return async () => {
    workers.forEach((w) => w.shutdown());
    await Promise.all(running);
  };
}

const benchStackInputs: Record<string, unknown> = {};
const benchStacks = new Map<string, ResolvedStack>();
/** The workers' own config: every stack made with benchStack(). */
export const benchPinnedStacks = new PinnedStacks((n) => benchStacks.get(n));
/** The same stacks as a file (LIFELINE_CONFIG) for a worker in its own process. */
export const BENCH_CONFIG_FILE = path.join(WORK, 'bench-config.yaml');

export function benchStack(
  env: BenchEnv,
  name: string,
  ports: number[],
  timeouts: object = {},
  host = env.host,
  /** Top-level config (escalation, notifications) the stack resolves with. */
  top: object = {},
): ResolvedStack {
  const services = ports.map((_, i) => `svc${i}`);
  benchStackInputs[name] = {
    host,
    services: Object.fromEntries(services.map((s, i) => [s, { healthUrl: `http://127.0.0.1:${ports[i]}/health` }])),
    timeouts: {
      stopGraceSeconds: 2,
      healthWaitSeconds: 60,
      monitorSeconds: 0,
      postRollbackMonitorSeconds: 0,
      ...timeouts,
    },
  };
  const config = configSchema.parse({ ...top, dataDir: env.dataDir, stacks: benchStackInputs });
  writeFileSync(BENCH_CONFIG_FILE, stringify({ ...top, dataDir: env.dataDir, stacks: benchStackInputs }));
  const stack = resolveStack(config, name);
  benchStacks.set(name, stack);
  return stack;
}

export const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
export const now = () => process.hrtime.bigint();
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function report(name: string, rows: Record<string, string | number>[], extra: object = {}): void {
  mkdirSync(RESULTS, { recursive: true });
  console.log(`\n== ${name}`);
  console.table(rows);
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  writeFileSync(
    path.join(RESULTS, `${name}.json`),
    JSON.stringify({ name, at: new Date().toISOString(), machine, rows, ...extra }, null, 2),
  );
}

/** Every service of the stack runs `tag` and answers its health URL (the stack's ports, in service order). */
async function allHealthyOn(env: BenchEnv, stack: ResolvedStack, tag: string, ports: number[]): Promise<boolean> {
  const checks = await Promise.all(
    stack.services.map(async (s, i) => {
      const info = await env.docker
        .getContainer(fixtureContainer(stack, s))
        .inspect()
        .catch(() => undefined);
      if (!info?.State.Running || info.Config.Image !== `lifeline-fixture/spacetime:${tag}`) return false;
      return axios.get(`http://127.0.0.1:${ports[i]}/health/`, { timeout: 500, validateStatus: () => true }).then(
        (r) => r.status === 200,
        () => false,
      );
    }),
  );
  return checks.every(Boolean);
}

/** Polls every 10 ms until the stack is healthy on `tag`. */
export async function untilHealthy(env: BenchEnv, stack: ResolvedStack, tag: string, ports: number[]): Promise<void> {
  while (!(await allHealthyOn(env, stack, tag, ports))) await new Promise((r) => setTimeout(r, 10));
}
