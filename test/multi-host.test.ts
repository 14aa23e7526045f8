/**
 * More than one host: a second Docker engine with its own worker on its own host task queue, both steered
 * by one Temporal server; and that engine going down mid-rollback, briefly and for good.
 */
import { followUp } from './harness/owner';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { ResolvedStack } from '../src/domain/config';
import type { ReleaseSummary } from '../src/domain/release';
import { buildFixtureImages } from '../src/fixtures/images';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { createWorkers } from '../src/worker/workers';
import { containersOf, createTestEnv, FAST_TIMEOUTS, harnessState, TestEnv, testDataConverter } from './harness/env';
import { SecondEngine } from './harness/second-engine';
import { waitFor } from './harness/waits';
import type Docker from 'dockerode';
import { PinnedStacks } from '../src/config/pinned-stacks';
import { failureMessage } from './harness/failures';

const HOST2 = 'second';
let env: TestEnv;
let engine2: SecondEngine;
let connection: NativeConnection;
let worker2: Worker;
let running: Promise<void>;

beforeAll(async () => {
  env = await createTestEnv('multihost');
  engine2 = new SecondEngine();
  await engine2.start();
  await buildFixtureImages(engine2.docker);
  connection = await NativeConnection.connect({ address: harnessState().address });
  // Activities on the second host are slowed a little, so a test can stop its engine inside one.
  [worker2] = await createWorkers({
    connection,
    namespace: 'default',
    host: HOST2,
    roles: ['host'],
    dataConverter: testDataConverter(),
    stacks: new PinnedStacks(env.stackConfig),
    docker: engine2.docker,
    taskQueue: env.taskQueue,
    chaosActivityDelayMs: 300,
  });
  running = worker2.run();
});
afterAll(async () => {
  worker2?.shutdown();
  await running;
  await connection?.close();
  await engine2?.stop();
  await env?.teardown();
});

async function prepare(docker: Docker, stack: ResolvedStack): Promise<ReleaseSummary> {
  await upFixtureStack(docker, stack, 'v2.4.9');
  await waitFixtureHealthy(docker, stack);
  const b = await env.start('backup', { stack, trigger: 'cli', requestedBy: 'test', reason: 'good', knownGood: true });
  const good = ((await b.result()) as { release: ReleaseSummary }).release;
  await upFixtureStack(docker, stack, 'v2.5.0');
  return good;
}

const onEngine = async (docker: Docker, stack: ResolvedStack) =>
  (await Promise.all(stack.services.map((s) => containersOf(docker, stack.project, s.name))))
    .flat()
    .map((c) => c.Image);

test('stacks on two engines roll back through one server, each container operation on its own engine', async () => {
  const a = env.stack('mha', { ports: [19851, 19852], services: ['godot', 'api'] });
  const b = env.stack('mhb', { ports: [19861, 19862], services: ['godot', 'api'], host: HOST2 });
  const [goodA, goodB] = await Promise.all([prepare(env.docker, a), prepare(engine2.docker, b)]);
  const [ha, hb] = await Promise.all([
    env.start('quick-rollback', { stack: a, trigger: 'cli', requestedBy: 'test', reason: 'host 1' }),
    env.start('quick-rollback', { stack: b, trigger: 'cli', requestedBy: 'test', reason: 'host 2' }),
  ]);
  expect(await ha.result()).toMatchObject({ status: 'completed', toRelease: goodA.id });
  expect(await hb.result()).toMatchObject({ status: 'completed', toRelease: goodB.id });
  expect(await onEngine(env.docker, a)).toEqual([
    'lifeline-fixture/spacetime:v2.4.9',
    'lifeline-fixture/spacetime:v2.4.9',
  ]);
  expect(await onEngine(engine2.docker, b)).toEqual([
    'lifeline-fixture/spacetime:v2.4.9',
    'lifeline-fixture/spacetime:v2.4.9',
  ]);
  expect(await onEngine(engine2.docker, a)).toEqual([]);
  expect(await onEngine(env.docker, b)).toEqual([]);
  const queues = async (h: typeof ha) =>
    new Set(
      ((await h.fetchHistory()).events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'replaceWithRelease')
        .map((e) => e.activityTaskScheduledEventAttributes!.taskQueue!.name),
    );
  expect([...(await queues(ha))]).toEqual([`lifeline-host-${env.host}`]);
  expect([...(await queues(hb))]).toEqual([`lifeline-host-${HOST2}`]);
});

test('the engine stops mid-rollback and comes back a few seconds later: activities retry and the rollback completes', async () => {
  const b = env.stack('mhdown', { ports: [19871, 19872], services: ['godot', 'api'], host: HOST2 });
  const good = await prepare(engine2.docker, b);
  const h = await env.start('quick-rollback', {
    stack: b,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'engine flaps',
  });
  await waitFor(
    async () =>
      (await h.describe()).raw.pendingActivities?.some((x) => x.activityType?.name === 'replaceWithRelease')
        ? true
        : undefined,
    'the swap to start',
  );
  await engine2.stop();
  await new Promise((r) => setTimeout(r, 3000));
  await engine2.start();
  expect(await h.result()).toMatchObject({ status: 'completed', toRelease: good.id });
  expect(await onEngine(engine2.docker, b)).toEqual([
    'lifeline-fixture/spacetime:v2.4.9',
    'lifeline-fixture/spacetime:v2.4.9',
  ]);
  const history = await h.fetchHistory();
  expect(
    JSON.stringify(
      await Promise.all(
        (history.events ?? [])
          .filter((e) => e.activityTaskStartedEventAttributes?.lastFailure)
          .map((e) => failureMessage(e.activityTaskStartedEventAttributes!.lastFailure)),
      ),
    ),
  ).toMatch(/Docker engine unreachable/);
  await removeFixtureStack(engine2.docker, b);
});

test('an engine that stays down past the bound ends in escalation, not a hang', async () => {
  const b = env.stack('mhgone', {
    ports: [19881],
    services: ['godot'],
    host: HOST2,
    config: { timeouts: { ...FAST_TIMEOUTS, stopGraceSeconds: 1, dockerUnavailableSeconds: 8 } },
  });
  await prepare(engine2.docker, b);
  const h = await env.start('quick-rollback', { stack: b, trigger: 'cli', requestedBy: 'test', reason: 'engine gone' });
  await waitFor(
    async () =>
      (await h.describe()).raw.pendingActivities?.some((x) => x.activityType?.name === 'replaceWithRelease')
        ? true
        : undefined,
    'the swap to start',
  );
  await engine2.stop();
  const failure = await h.result().then(
    () => undefined,
    (err) => err,
  );
  expect(failure?.cause?.message).toMatch(/Docker engine unreachable.*emergency procedure (\S+) takes over/);
  const emergencyId = /emergency procedure (\S+) takes over/.exec(failure.cause.message)![1];
  await (await followUp(env.client, emergencyId)).terminate('test: engine comes back');
  await engine2.start();
  await removeFixtureStack(engine2.docker, b);
});
