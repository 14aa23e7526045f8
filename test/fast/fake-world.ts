/**
 * The fast tier's world: Lifeline's real workflow bundle on the real dev server, with fake activities that
 * keep releases and containers in memory and record every call. No Docker, no sleeps but the workflows' own.
 * After temporalio/samples-typescript `sleep-for-days` (tests with fake activities).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { configSchema, resolveStack, ResolvedStack, StackConfigInput, StackRef } from '../../src/domain/config';
import { type Release, type ReleaseFact, summarize } from '../../src/domain/release';
import type { StackHold } from '../../src/domain/ownership';
import { nextFact } from '../../src/domain/release-rules';
import { SpecSource, specsOf, WaveSource } from '../../src/domain/spec-source';
import { peopleIn } from '../../src/domain/audiences';
import type { DecisionSettingsInput, PersonInput } from '../../src/domain/people';
import { hostTaskQueue } from '../../src/domain/task-queues';
import { createProcedureStatusActivities } from '../../src/activities/procedure-status';
import { createRollbackPreparation } from '../../src/activities/rollback-preparation';
import { ownerWorkflowId } from '../../src/domain/workflow-ids';
import { ownerStateQuery } from '../../src/workflows/definitions';
import { BUNDLE_FILE } from '../harness/paths';
import { recordPathHistories } from '../harness/record-histories';
import { harnessState, TEST_DECISION_KEY, testDataConverter } from '../harness/env';
import { createDecisionProofActivities } from '../../src/activities/decision-proofs';

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
  /** What is known about each state, by fingerprint (the fake releases' fingerprint is their tag). */
  facts: Map<string, ReleaseFact>;
  /** While `on`, reading the stack's config fails (as a worker whose config file lost the stack). */
  configMissing: { on: boolean };
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
  fingerprint: tag,
  ...extra,
});

/** Where the fake world runs: the suite's dev server by default, or a time-skipping test environment. */
export interface FakeServer {
  nativeConnection: NativeConnection;
  client: Client;
}

/** A stack with releases v1 (oldest) to v3 (newest, running now), each with godot and api. */
export async function fakeWorld(
  name: string,
  config: Partial<StackConfigInput> & { people?: PersonInput[]; decisions?: DecisionSettingsInput } = {},
  server?: FakeServer,
): Promise<FakeWorld> {
  const { people = [], decisions = {}, ...stackConfig } = config;
  const taskQueue = `fast-${name}`;
  const host = `fast-${name}`;
  const stack = {
    ...resolveStack(
      configSchema.parse({
        dataDir: '/nonexistent',
        people,
        decisions,
        stacks: {
          [name]: {
            host,
            services: { godot: {}, api: {} },
            timeouts: { stopGraceSeconds: 1, healthWaitSeconds: 5, monitorSeconds: 0, postRollbackMonitorSeconds: 0 },
            ...stackConfig,
          },
        },
      }),
      name,
    ),
    configHash: 'fake',
  };
  const calls: Call[] = [];
  const releases = [
    release(name, '20260101-000000', 'v1'),
    release(name, '20260102-000000', 'v2'),
    release(name, '20260103-000000', 'v3'),
  ];
  const facts = new Map<string, ReleaseFact>(
    ['v1', 'v2'].map((tag) => [tag, { verdict: 'known-good', at: '', by: 'test', reason: 'verified' }]),
  );
  const summary = (r: Release) => summarize(r, Object.fromEntries(facts));
  const running = new Map(['godot', 'api'].map((s) => [s, '20260103-000000']));
  const unhealthy = new Set<string>();
  const smokeFails = new Set<string>();
  const hold = { health: false };
  const configMissing = { on: false };
  const holds = new Map<string, StackHold>();
  const missingImages = new Set<string>();
  const lacking = (images: string[]) => [...new Set(images)].filter((i) => missingImages.has(i));
  const find = (id: string) => {
    const r = releases.find((x) => x.id === id);
    if (!r) throw ApplicationFailure.nonRetryable(`unknown release ${id}`, 'UnknownRelease');
    return r;
  };
  type Mark = { knownBad?: string; knownGood?: string };
  const mark = (id: string, m: Mark, by: string) => {
    const r = find(id);
    const verdict = m.knownBad !== undefined ? 'known-bad' : 'known-good';
    facts.set(r.fingerprint, { verdict, by, at: new Date().toISOString(), reason: m.knownBad ?? m.knownGood ?? '' });
    return r;
  };
  /** The running state's fingerprint: the release the containers run (a forced restart's label included). */
  const runningFingerprint = () => {
    const label = [...running.values()][0];
    return releases.find((r) => r.id === label.split(':')[0])?.fingerprint ?? label;
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
    markRelease: recorded('markRelease', (_s: ResolvedStack, id: string, m: Mark, by: string) =>
      summary(mark(id, m, by)),
    ),
    markLeaving: recorded(
      'markLeaving',
      (_s: ResolvedStack, leaving: { by: string; reason: string; targetFingerprint?: string }) => {
        const fingerprint = runningFingerprint();
        if (fingerprint === leaving.targetFingerprint) return null;
        const left: ReleaseFact = { verdict: 'rolled-back-from', by: leaving.by, reason: leaving.reason, at: '' };
        facts.set(fingerprint, nextFact(facts.get(fingerprint), left));
        return fingerprint;
      },
    ),
    settleReleases: recorded(
      'settleReleases',
      (
        _s: ResolvedStack,
        o: { by: string; knownBad?: { id: string; reason: string }; knownGood?: { id: string; evidence: string } },
      ) => {
        if (o.knownBad) mark(o.knownBad.id, { knownBad: o.knownBad.reason }, o.by);
        if (o.knownGood) mark(o.knownGood.id, { knownGood: o.knownGood.evidence }, o.by);
        return [];
      },
    ),
    pruneReleases: recorded('pruneReleases', () => []),
    recordRelease: recorded('recordRelease', () => summary(releases[releases.length - 1])),
    missingImagesOf: recorded('missingImagesOf', (s: ResolvedStack, source: Omit<SpecSource, 'label'>) =>
      lacking(specsOf(s, find(source.release), source).map((x) => x.image)),
    ),
    scanErrorLogs: recorded('scanErrorLogs', () => []),
    stopContainers: recorded('stopContainers', () => []),
    startContainers: recorded('startContainers', () => undefined),
    restoreConfigFiles: recorded('restoreConfigFiles', () => []),
    recreateFromRelease: recorded('recreateFromRelease', (_s: ResolvedStack, wave: WaveSource) =>
      wave.services.map((service) => {
        find(wave.release);
        running.set(service, wave.label);
        return 'replaced';
      }),
    ),
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
    loadStack: recorded('loadStack', ({ requested }: { requested: StackRef }) => {
      if (configMissing.on)
        throw ApplicationFailure.nonRetryable(`stack ${requested.name} is not in the config`, 'ConfigMissing');
      return { ...stack, name: requested.name };
    }),
    notify: recorded('notify', () => ({ accepted: 1, targets: 1 })),
    askPeople: recorded('askPeople', (s: ResolvedStack, q: { audience: string }) => ({
      reached: peopleIn(s.people, q.audience).map((p) => p.name),
      failed: [],
    })),
    settlePages: recorded('settlePages', () => []),
    // The real check, with the key the test API shares: decisions in fast tests are authenticated as in production.
    openDecisionProof: createDecisionProofActivities({ decisionKey: TEST_DECISION_KEY }).openDecisionProof,
    writeIncidentReport: recorded('writeIncidentReport', () => `/reports/${name}.md`),
    createGithubIssue: recorded('createGithubIssue', () => 'https://github.example/1'),
    procedureStatus: recorded('procedureStatus', () => ({ open: false, status: 'COMPLETED' })),
    // The real search: a fresh owner run finds what still runs on its stack in Temporal's visibility.
    openProcedures: recorded('openProcedures', (stackName: string) =>
      createProcedureStatusActivities({ client }).openProcedures(stackName),
    ),
    noteInIncidentReport: recorded('noteInIncidentReport', () => `/reports/${name}.md`),
    // The hold record on disk, kept here in memory: what a fresh owner run reads back.
    recordHold: recorded('recordHold', (s: ResolvedStack, hold: StackHold | null) => {
      if (hold) holds.set(s.name, hold);
      else holds.delete(s.name);
    }),
    readHold: recorded('readHold', (s: ResolvedStack) => holds.get(s.name) ?? null),
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
        // As the real one: the stop, then the wave's containers, recorded as calls of their own.
        replaceWithRelease: recorded('replaceWithRelease', async (s: ResolvedStack, wave: WaveSource) => {
          await host$.stopContainers();
          return host$.recreateFromRelease(s, wave);
        }),
        // Behind an ingress: every service of the release starts beside the old one; nothing is stopped first.
        swapBehindIngress: recorded(
          'swapBehindIngress',
          (_s: ResolvedStack, source: { release: string; label: string }) => {
            const target = find(source.release);
            return target.services.map(({ service }) => {
              running.set(service, source.label);
              return { service, how: 'beside', outcome: 'replaced' };
            });
          },
        ),
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
    facts,
    configMissing,
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
