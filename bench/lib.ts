/** Shared pieces of the benchmarks: a dev server, workers, fixture stacks, timing and reports. */
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import Docker from 'dockerode';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { configSchema, resolveStack, ResolvedStack } from '../src/domain/config';
import { buildFixtureImages } from '../src/fixtures/images';
import { upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { startProcedure } from '../src/client/start-procedure';
import { ownerStateQuery } from '../src/workflows/definitions';
import axios from 'axios';
import { PinnedStacks } from '../src/config/pinned-stacks';
import { stringify } from 'yaml';
import { bundleWorkflows } from '../src/worker/workers';
import { lifelineDataConverter } from '../src/codec/data-converter';
import { EncryptionCodec } from '../src/codec/encryption-codec';
import { ensureCodecKeyFile, loadCodecKeys } from '../src/codec/keys';
import { spawnDevServer, waitForTemporal } from '../test/harness/dev-server';

const run = promisify(execFile);
export const ROOT = path.resolve(__dirname, '..');
export const RESULTS = path.join(ROOT, 'bench/results');
export const WORK = mkdtempSync(path.join(os.tmpdir(), 'lifeline-bench-'));
export const BUNDLE_FILE = path.join(WORK, 'workflow-bundle.js');
const DATA_DIR = path.join(WORK, 'data');
export const ADDRESS = '127.0.0.1:17333';
/** The fixture's known-good and bad releases. */
export const GOOD = 'v2.4.9';
export const BAD = 'v2.5.0';
/**
 * Docker's health check interval of every benchmark container, both sides: a common Compose setting (Docker's
 * default is 30 s). The fixture image's 1 s is a test setting: 40 idle containers checked every second took
 * 1.5 of this machine's 2 cores (measured), a tax on every second a side runs that would swamp the comparison.
 */
const HEALTH_INTERVAL_SECONDS = 10;
export const BENCH_FIXTURE = { healthIntervalSeconds: HEALTH_INTERVAL_SECONDS };
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
  stopServer(): void;
}

const portAnswers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

export async function setUp(): Promise<BenchEnv> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  // A server left by an interrupted run would answer instead, with that run's workflows and limits.
  if (await portAnswers(17333)) throw new Error('something already listens on 127.0.0.1:17333 (an earlier bench?)');
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
    dataDir: DATA_DIR,
    stopServer: () => server.kill('SIGTERM'),
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
  /** More of the stack's own config (an ingress, smoke tests). */
  own: object = {},
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
    ...own,
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

/**
 * Runs `a` and `b` once per round, alternating which goes first (ABBA…), so a drift of the machine weighs on
 * both sides alike.
 */
export async function alternate(rounds: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await a();
      await b();
    } else {
      await b();
      await a();
    }
  }
}

const WFT = 'workflow task';

/**
 * Per activity type, every scheduled → completed time (ms) in the histories of `handles`, from the server's
 * clock; and each workflow task's wait for a worker and its run on the worker.
 */
export class ActivityTimes {
  private readonly times = new Map<string, number[]>();

  async add(handle: WorkflowHandle): Promise<void> {
    const history = await handle.fetchHistory();
    const scheduled = new Map<string, { type: string; at: number }>();
    const push = (k: string, v: number) => this.times.set(k, [...(this.times.get(k) ?? []), v]);
    for (const e of history.events ?? []) {
      const at = Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), { type: s.activityType!.name!, at });
      if (e.workflowTaskScheduledEventAttributes) scheduled.set(String(e.eventId), { type: WFT, at });
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const from = scheduled.get(String(done.scheduledEventId))!;
        push(from.type, at - from.at);
      }
      // A workflow task: how long it waited for the worker, and how long the worker took.
      const wftStarted = e.workflowTaskStartedEventAttributes;
      if (wftStarted) {
        const from = scheduled.get(String(wftStarted.scheduledEventId));
        if (from) push(`${WFT}: scheduled → started`, at - from.at);
        scheduled.set(String(e.eventId), { type: WFT, at });
      }
      const wftDone = e.workflowTaskCompletedEventAttributes;
      if (wftDone) {
        const from = scheduled.get(String(wftDone.startedEventId));
        if (from) push(`${WFT}: started → completed`, at - from.at);
      }
    }
  }

  /** Median ms per activity type, slowest first. */
  medians(): Record<string, number> {
    return Object.fromEntries(
      [...this.times].map(([k, v]) => [k, Math.round(median(v))] as const).sort((x, y) => y[1] - x[1]),
    );
  }

  print(title: string): void {
    console.log(`${title}: median ms per activity (scheduled → completed)`, this.medians());
  }
}

/** The commit measured, marked when the working tree differs from it (the worker runs what `dist/` holds). */
function benchedCommit(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? '+changes' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

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
    JSON.stringify({ name, at: new Date().toISOString(), commit: benchedCommit(), machine, rows, ...extra }, null, 2),
  );
}

/** Brings `stacks` up on the good tag and records that as a known-good release (the runbook's backup). */
export async function recordGood(env: BenchEnv, stacks: ResolvedStack[], taskQueue = env.taskQueue): Promise<void> {
  await Promise.all(stacks.map((s) => upFixtureStack(env.docker, s, GOOD, {}, BENCH_FIXTURE)));
  await Promise.all(stacks.map((s) => waitFixtureHealthy(env.docker, s, 60_000)));
  await Promise.all(
    stacks.map(async (stack) =>
      (
        await startProcedure(
          env.client,
          'backup',
          { stack, trigger: 'cli', reason: 'bench', requestedBy: 'bench', knownGood: true },
          { taskQueue },
        )
      ).handle.result(),
    ),
  );
  // The owner hears of the backup's end just after its result: a rollback requested before then is "busy".
  for (const stack of stacks) {
    const owner = env.client.workflow.getHandle(`stack:${stack.name}`);
    while ((await owner.query(ownerStateQuery)).running) await new Promise((r) => setTimeout(r, 20));
  }
}

/** The floor of every rollback benchmark: the docker-CLI script (bench/baseline-rollback.sh) rolling `stack` back. */
export const scriptRollback = (stack: ResolvedStack, ports: number[]) =>
  run(path.join(ROOT, 'bench/baseline-rollback.sh'), [stack.name, GOOD, ...ports.map(String)], {
    env: { ...process.env, HEALTH_INTERVAL: `${HEALTH_INTERVAL_SECONDS}s` },
  });

/** Puts the bad release on `stacks`: what every rollback benchmark starts from. */
export const breakStacks = (env: BenchEnv, stacks: ResolvedStack[]) =>
  Promise.all(stacks.map((s) => upFixtureStack(env.docker, s, BAD, {}, BENCH_FIXTURE)));

/** The service on 127.0.0.1:`port` runs `tag` and is ready (the fixture's /status/ says both). */
export async function answersOn(port: number, tag: string): Promise<boolean> {
  return axios.get(`http://127.0.0.1:${port}/status/`, { timeout: 500, validateStatus: () => true }).then(
    (r) => r.status === 200 && r.data?.version === tag && r.data?.overall_ready === true,
    () => false,
  );
}

/**
 * Runs `act` (a rollback by Lifeline or by the script) and returns the ms until every port answers ready on
 * the good release, seen by the same observer polling every `intervalMs` whichever side acts, so the
 * observer's own load weighs on both alike. Then waits for `act` to end.
 */
export async function timeToHealthy(ports: number[], intervalMs: number, act: () => Promise<unknown>): Promise<number> {
  const t0 = now();
  let failed: unknown;
  const acting = act();
  acting.catch((err) => (failed ??= err)); // awaited below, after the observer
  await Promise.all(
    ports.map(async (port) => {
      while (!(await answersOn(port, GOOD))) {
        if (failed) throw failed; // a rollback that was never started will never be healthy
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    }),
  );
  const healthy = ms(t0);
  await acting;
  return healthy;
}

/** A webhook body as Alertmanager posts it (version 4), with one alert. */
export function alertmanagerWebhook(
  stack: string,
  alertname: string,
  fingerprint: string,
  severity: string,
  status: 'firing' | 'resolved' = 'firing',
): string {
  return JSON.stringify({
    version: '4',
    status,
    receiver: 'lifeline',
    groupKey: `{}:{alertname="${alertname}"}`,
    groupLabels: { alertname },
    commonLabels: { alertname, stack, severity },
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    alerts: [
      {
        status,
        labels: { alertname, stack, severity },
        annotations: {},
        startsAt: new Date().toISOString(),
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : new Date().toISOString(),
        generatorURL: 'http://127.0.0.1:9090/graph',
        fingerprint,
      },
    ],
  });
}
