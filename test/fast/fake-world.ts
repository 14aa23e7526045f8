/**
 * The fast tier's world: Lifeline's real workflow bundle on the real dev server, with fake activities that
 * keep releases and containers in memory and record every call. No Docker, no sleeps but the workflows' own.
 * After temporalio/samples-typescript `sleep-for-days` (tests with fake activities).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { configSchema, resolveStack, ResolvedStack, StackConfigInput, StackRef } from '../../src/domain/config';
import type { ContainerSpec, Release, ReleaseSummary } from '../../src/domain/release';
import { hostTaskQueue } from '../../src/domain/task-queues';
import { createRollbackPreparation } from '../../src/activities/rollback-preparation';
import { ownerWorkflowId } from '../../src/domain/workflow-ids';
import { ownerStateQuery } from '../../src/workflows/definitions';
import { BUNDLE_FILE } from '../harness/paths';
import { recordPathHistories } from '../harness/record-histories';
import { harnessState, testDataConverter } from '../harness/env';

export interface Call {
  name: string;
  args: unknown[];
}

export interface FakeWorld {
  client: Client;
  taskQueue: string;
  stack: ResolvedStack;
  /** Every activity call, in order. */
  calls: Call[];
  releases: Release[];
  /** Which release each service's container runs now. */
  running: Map<string, string>;
  /** Release IDs whose containers never become healthy (forced restarts of them included). */
  unhealthy: Set<string>;
  /** Release IDs whose smoke tests fail once they run (healthy containers, broken behaviour). */
  smokeFails: Set<string>;
  /** While `health` is true, health waits hold (heartbeating) until cancelled. */
  hold: { health: boolean };
  /** Image references the engine does not have. */
  missingImages: Set<string>;
  teardown(): Promise<void>;
}

const release = (stack: string, id: string, tag: string, extra: Partial<Release> = {}): Release => ({
  id,
  stack,
  host: 'fake',
  createdAt: new Date().toISOString(),
  reason: `release ${tag}`,
  imageTags: { godot: tag, api: tag },
  services: ['godot', 'api'].map((service) => ({
    service,
    name: `${stack}-${service}-1`,
    image: `spacetime:${tag}`,
    imageId: `sha256:${tag}`,
    env: [],
    labels: {},
    mounts: [],
    networkMode: 'host',
    restartPolicy: 'no',
    init: false,
  })),
  configFiles: [],
  volumes: [],
  knownBad: false,
  knownGood: false,
  fingerprint: tag,
  ...extra,
});

const summary = (r: Release): ReleaseSummary => ({ ...r, services: r.services.length, volumes: r.volumes.length });

/** Where the fake world runs: the suite's dev server by default, or a time-skipping test environment. */
export interface FakeServer {
  nativeConnection: NativeConnection;
  client: Client;
}

/** A stack with releases v1 (oldest) to v3 (newest, running now), each with godot and api. */
export async function fakeWorld(
  name: string,
  config: Partial<StackConfigInput> = {},
  server?: FakeServer,
): Promise<FakeWorld> {
  const taskQueue = `fast-${name}`;
  const host = `fast-${name}`;
  const stack = {
    ...resolveStack(
      configSchema.parse({
        dataDir: '/nonexistent',
        stacks: {
          [name]: {
            host,
            services: { godot: {}, api: {} },
            timeouts: { stopGraceSeconds: 1, healthWaitSeconds: 5, monitorSeconds: 0, postRollbackMonitorSeconds: 0 },
            ...config,
          },
        },
      }),
      name,
    ),
    configHash: 'fake',
  };
  const calls: Call[] = [];
  const releases = [
    release(name, '20260101-000000', 'v1', { knownGood: true }),
    release(name, '20260102-000000', 'v2', { knownGood: true }),
    release(name, '20260103-000000', 'v3'),
  ];
  const running = new Map(['godot', 'api'].map((s) => [s, '20260103-000000']));
  const unhealthy = new Set<string>();
  const smokeFails = new Set<string>();
  const hold = { health: false };
  const missingImages = new Set<string>();
  const lacking = (images: string[]) => [...new Set(images)].filter((i) => missingImages.has(i));
  const find = (id: string) => {
    const r = releases.find((x) => x.id === id);
    if (!r) throw ApplicationFailure.nonRetryable(`unknown release ${id}`, 'UnknownRelease');
    return r;
  };
  type Mark = { knownBad?: string; knownGood?: boolean };
  const mark = (id: string, m: Mark) => {
    const r = find(id);
    if (m.knownBad) Object.assign(r, { knownBad: true, knownBadReason: m.knownBad });
    if (m.knownGood) r.knownGood = true;
    return r;
  };
  const recorded =
    <A extends unknown[], R>(fnName: string, fn: (...args: A) => R) =>
    async (...args: A): Promise<R> => {
      calls.push({ name: fnName, args });
      return fn(...args);
    };
  const host$ = {
    listReleases: recorded('listReleases', () => releases.map(summary)),
    getRelease: recorded('getRelease', (_s: ResolvedStack, id: string) => find(id)),
    releaseToRestore: recorded('releaseToRestore', (_s: ResolvedStack, id: string) => {
      const r = find(id);
      return { release: r, missingImages: lacking(r.services.map((x) => x.image)) };
    }),
    markRelease: recorded('markRelease', (_s: ResolvedStack, id: string, m: Mark) => summary(mark(id, m))),
    settleReleases: recorded(
      'settleReleases',
      (_s: ResolvedStack, o: { knownBad?: { id: string; reason: string }; knownGood?: string }) => {
        if (o.knownBad) mark(o.knownBad.id, { knownBad: o.knownBad.reason });
        if (o.knownGood) mark(o.knownGood, { knownGood: true });
        return [];
      },
    ),
    pruneReleases: recorded('pruneReleases', () => []),
    recordRelease: recorded('recordRelease', () => summary(releases[releases.length - 1])),
    missingImages: recorded('missingImages', lacking),
    scanErrorLogs: recorded('scanErrorLogs', () => []),
    stopContainers: recorded('stopContainers', () => []),
    startContainers: recorded('startContainers', () => undefined),
    restoreConfigFiles: recorded('restoreConfigFiles', () => []),
    recreateFromSpec: recorded('recreateFromSpec', (_stack: string, spec: { service: string }, releaseId: string) => {
      running.set(spec.service, releaseId);
      return 'replaced';
    }),
    waitForStackHealthy: recorded('waitForStackHealthy', async () => {
      // Held: heartbeats until cancelled (an abort or preemption) or released.
      while (hold.health) {
        Context.current().heartbeat();
        await Promise.race([Context.current().cancelled, new Promise((r) => setTimeout(r, 100))]);
      }
      // A forced restart labels containers `<release>:forced:<run>`: still that release's code.
      const bad = [...running.values()].find((label) => unhealthy.has(label.split(':')[0]));
      if (bad)
        throw ApplicationFailure.create({
          message: `not healthy after 1s: 0/2 services healthy (release ${bad})`,
          type: 'HealthTimeout',
          nonRetryable: true,
        });
      return { healthy: 2, total: 2, elapsedMs: 1, services: [] };
    }),
    inspectStack: recorded('inspectStack', () =>
      [...running].map(([service, id]) => ({
        service,
        container: `${name}-${service}-1`,
        exists: true,
        running: !unhealthy.has(id),
        status: 'running',
        health: unhealthy.has(id) ? 'unhealthy' : 'healthy',
        release: id,
      })),
    ),
    runSmokeTests: recorded('runSmokeTests', () =>
      [...new Set(running.values())]
        .filter((label) => smokeFails.has(label.split(':')[0]))
        .map((label) => ({ name: 'api ready', passed: false, detail: `status 503 on ${label}` })),
    ),
    checkStatusApi: recorded('checkStatusApi', () => undefined),
    queryPrometheus: recorded('queryPrometheus', () => []),
    runHostCommand: recorded('runHostCommand', () => ({ output: '' })),
    collectEvidence: recorded('collectEvidence', () => ({ dir: '/evidence', files: [], summary: [] })),
    snapshotVolumes: recorded('snapshotVolumes', () => []),
  };
  const orchestration = {
    loadStack: recorded('loadStack', ({ requested }: { requested: StackRef }) => ({ ...stack, name: requested.name })),
    notify: recorded('notify', () => ({ accepted: 1, targets: 1 })),
    writeIncidentReport: recorded('writeIncidentReport', () => `/reports/${name}.md`),
    createGithubIssue: recorded('createGithubIssue', () => 'https://github.example/1'),
    procedureStatus: recorded('procedureStatus', () => ({ open: false, status: 'COMPLETED' })),
  };
  const preparation = createRollbackPreparation({ releases: host$, health: host$ });
  const dataConverter = testDataConverter();
  const connection = server?.nativeConnection ?? (await NativeConnection.connect({ address: harnessState().address }));
  const workers = await Promise.all([
    Worker.create({
      connection,
      taskQueue,
      workflowBundle: { codePath: BUNDLE_FILE },
      activities: orchestration,
      dataConverter,
    }),
    Worker.create({
      connection,
      taskQueue: hostTaskQueue(host),
      // The real composition over the fakes: its parts are recorded as calls of their own.
      activities: {
        ...host$,
        prepareRollback: recorded('prepareRollback', preparation.prepareRollback),
        // As the real one: the stop, then each spec's container, recorded as calls of their own.
        replaceServices: recorded('replaceServices', async (s: ResolvedStack, specs: ContainerSpec[], id: string) => {
          await host$.stopContainers();
          return Promise.all(specs.map((spec) => host$.recreateFromSpec(s.name, spec, id)));
        }),
      },
      dataConverter,
    }),
  ]);
  const runs = workers.map((w) => w.run());
  const clientConnection = server ? undefined : await Connection.connect({ address: harnessState().address });
  const client = server?.client ?? new Client({ connection: clientConnection, dataConverter });
  const ownerId = ownerWorkflowId(name);
  const ownerAndStarted = async () => [
    ownerId,
    ...((
      await client.workflow
        .getHandle(ownerId)
        .query(ownerStateQuery)
        .catch(() => undefined)
    )?.started ?? []),
  ];
  return {
    client,
    taskQueue,
    stack,
    calls,
    releases,
    running,
    unhealthy,
    smokeFails,
    hold,
    missingImages,
    async teardown() {
      await recordPathHistories(client, server ? { ids: await ownerAndStarted() } : { taskQueue });
      workers.forEach((w) => w.shutdown());
      await Promise.all(runs);
      // A test environment's connections belong to the environment.
      if (!server) await connection.close();
      await clientConnection?.close();
    },
  };
}
