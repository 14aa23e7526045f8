/** Failure paths: the previous release is broken too, escalation through the ladder, idempotent retries. */
import { followUp } from './harness/owner';
import { MockActivityEnvironment } from '@temporalio/testing';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import axios from 'axios';
import { createHostActivities } from '../src/activities';
import { createDockerActivities } from '../src/activities/docker';
import { ReleaseStore } from '../src/store/release-store';
import type { ResolvedStack } from '../src/domain/config';
import type { ReleaseSummary } from '../src/domain/release';
import { upFixtureStack, fixtureContainer } from '../src/fixtures/stack';
import { acknowledgeUpdate, progressQuery } from '../src/workflows/definitions';
import type { RollbackFailedResult } from '../src/workflows/rollback-failed';
import { containersOf, createTestEnv, TestEnv } from './harness/env';
import { recordGoodRelease } from './harness/releases';
import { Recorder, startRecorder } from './harness/recorder';
import { waitFor } from './harness/waits';

let env: TestEnv;
let recorder: Recorder;
beforeAll(async () => {
  env = await createTestEnv('failures');
  recorder = await startRecorder();
});
afterAll(async () => {
  await recorder?.close();
  await env?.teardown();
});

function makeStack(name: string, ports: number[]): ResolvedStack {
  return env.stack(name, {
    ports,
    notifications: [{ kind: 'slack', url: `${recorder.url}/slack/${name}` }],
    escalation: [
      { name: 'on-call engineer', ackTimeoutSeconds: 2 },
      { name: 'senior ops', ackTimeoutSeconds: 2 },
      {
        name: 'infrastructure team',
        ackTimeoutSeconds: 2,
        contacts: [{ kind: 'webhook', url: `${recorder.url}/page/infra/${name}` }],
      },
      {
        name: 'CTO / VP Engineering',
        ackTimeoutSeconds: 2,
        contacts: [{ kind: 'webhook', url: `${recorder.url}/page/cto/${name}` }],
      },
    ],
    config: {
      timeouts: {
        stopGraceSeconds: 1,
        healthWaitSeconds: 4,
        deployHealthSeconds: 4,
        monitorSeconds: 0,
        monitorIntervalSeconds: 1,
        postRollbackMonitorSeconds: 0,
        dockerUnavailableSeconds: 30,
      },
    },
  });
}

const record = (stack: ResolvedStack, tag: string, waitHealthy: boolean) =>
  recordGoodRelease(env, stack, tag, { waitHealthy });

test('previous release broken too: the rollback fails, rollback-failed runs, and the ladder escalates until acknowledged', async () => {
  const stack = makeStack('broken', [19501, 19502]);
  const bad = await record(stack, 'v2.5.0', false); // recorded while unhealthy
  await upFixtureStack(env.docker, stack, 'v2.5.3');
  const h = await env.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'errors' });
  const failure = await h.result().then(
    () => undefined,
    (err) => err,
  );
  expect(failure?.cause?.message).toMatch(
    new RegExp(
      `release ${bad.id} did not come up healthy: not healthy after 4s.*emergency procedure (\\S+) takes over`,
    ),
  );
  const emergencyId = /emergency procedure (\S+) takes over/.exec(failure.cause.message)![1];
  expect(emergencyId).toMatch(/^emergency:rollback-failed:broken:/);

  const emergency = await followUp(env.client, emergencyId);
  // Gathers information, force-recreates (fails again), finds no older good release, escalates to level 3 then 4.
  const atCto = await waitFor(
    async () => {
      const p = await emergency.query(progressQuery);
      return p.pending?.waitingFor === 'CTO / VP Engineering' ? p : undefined;
    },
    'escalation to level 4',
    60_000,
  );
  expect(atCto.escalationLevel).toBe(4);
  expect(atCto.timeline.map((t) => t.step)).toEqual(
    expect.arrayContaining([
      'gather information',
      'waiting for infrastructure team',
      'decision timed out',
      'waiting for CTO / VP Engineering',
    ]),
  );
  const paged = recorder.requests.filter((r) => r.url.startsWith('/page/'));
  expect(paged.map((r) => r.url)).toEqual(expect.arrayContaining(['/page/infra/broken', '/page/cto/broken']));
  expect(paged[0].body).toMatchObject({ kind: 'escalated', stack: 'broken', level: 'infrastructure team' });
  const evidence = readdirSync(path.join(env.dataDir, 'evidence', 'broken'));
  expect(evidence).toHaveLength(1);

  await expect(emergency.executeUpdate(acknowledgeUpdate, { args: [{ by: '' }] })).rejects.toThrow();
  await emergency.executeUpdate(acknowledgeUpdate, { args: [{ by: 'cto', reason: 'on it' }] });
  const result = (await emergency.result()) as RollbackFailedResult;
  expect(result).toMatchObject({ status: 'escalated', acknowledgedBy: 'cto' });
  // The release that failed twice is now known-bad, so no quick rollback picks it again.
  expect((await new ReleaseStore(env.dataDir).summary('broken', bad.id)).knownBad).toBe(true);
  // The failure was announced to the stack's channel.
  expect(
    recorder.requests.some((r) => r.url === '/slack/broken' && /failed/.test((r.body as { text: string }).text)),
  ).toBe(true);
});

test('rollback-failed recovers with an older good release when the newest one is broken', async () => {
  const stack = makeStack('older', [19511, 19512]);
  const good = await record(stack, 'v2.4.8', true);
  await record(stack, 'v2.5.0', false);
  await upFixtureStack(env.docker, stack, 'v2.5.3');
  const h = await env.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'errors' });
  const failure = await h.result().then(
    (r) => {
      throw new Error(`rollback unexpectedly succeeded: ${JSON.stringify(r).slice(0, 600)}`);
    },
    (err) => err,
  );
  const emergencyId = /emergency procedure (\S+) takes over/.exec(failure.cause.message)![1];
  const result = (await (await followUp(env.client, emergencyId)).result()) as RollbackFailedResult;
  expect(result.status).toBe('completed');
  for (const s of stack.services) {
    expect((await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).Config.Image).toBe(
      'lifeline-fixture/spacetime:v2.4.8',
    );
    expect(await containersOf(env.docker, 'older', s.name)).toHaveLength(1);
  }
  expect(result).toMatchObject({ toRelease: good.id });
});

test('a notification that fails once is retried, and the rollback still completes', async () => {
  const stack = makeStack('retry', [19521, 19522]);
  await record(stack, 'v2.4.9', true);
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  let calls = 0;
  recorder.reply('POST /slack/retry', 500, { error: 'transient' });
  const h = await env.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'retry' });
  await waitFor(async () => {
    calls = recorder.requests.filter((r) => r.url === '/slack/retry').length;
    return calls >= 1 ? calls : undefined;
  }, 'first notification');
  recorder.reply('POST /slack/retry', 200, { ok: true });
  expect(((await h.result()) as { status: string }).status).toBe('completed');
  const history = await h.fetchHistory();
  const notifyAttempts = (history.events ?? []).filter(
    (e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt! > 1,
  );
  expect(notifyAttempts.length).toBeGreaterThanOrEqual(1);
});

test('activities run twice leave one container and one release', async () => {
  const stack = makeStack('twice', [19531]);
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  const acts = createHostActivities({ docker: env.docker, host: env.host, http: axios.create() });
  const dockerOps = createDockerActivities(env.docker);
  const mock = new MockActivityEnvironment();
  const [spec] = (await mock.run(dockerOps.captureSpecs, stack)) as Awaited<ReturnType<typeof dockerOps.captureSpecs>>;
  const first = await mock.run(dockerOps.recreateFromSpec, 'twice', spec, '20250101-000000', 1);
  const second = await mock.run(dockerOps.recreateFromSpec, 'twice', spec, '20250101-000000', 1);
  expect([first, second]).toEqual(['replaced', 'unchanged']);
  expect(await containersOf(env.docker, 'twice', 'godot')).toHaveLength(1);

  const recordOnce = async () =>
    (await mock.run(() =>
      acts.recordRelease(stack, { reason: 'r', requestKey: 'wf-1:current' }),
    )) as ReleaseSummary | null;
  const a = await recordOnce();
  const b = await recordOnce();
  expect(a).not.toBeNull();
  expect(b?.id).toBe(a?.id);
  expect(await new ReleaseStore(env.dataDir).list('twice')).toHaveLength(1);
});

test('the swap run twice stops nothing it already made; cancelled before it begins, it changes nothing', async () => {
  const stack = makeStack('swap', [19541, 19542]);
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  const dockerOps = createDockerActivities(env.docker);
  const mock = new MockActivityEnvironment();
  const specs = (await mock.run(dockerOps.captureSpecs, stack)) as Awaited<ReturnType<typeof dockerOps.captureSpecs>>;
  const startedAt = async () =>
    Promise.all(
      stack.services.map(async (s) => (await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).State),
    );
  expect(await mock.run(dockerOps.replaceServices, stack, specs, 'r-1')).toEqual(['replaced', 'replaced']);
  const swapped = await startedAt();
  // A retry (a crashed worker's attempt 2): the containers it made keep running, untouched.
  expect(await mock.run(dockerOps.replaceServices, stack, specs, 'r-1')).toEqual(['unchanged', 'unchanged']);
  expect(await startedAt()).toEqual(swapped);

  // Cancelled before it begins: nothing is stopped and nothing of release r-2 is made; r-1 keeps running.
  const cancelled = new MockActivityEnvironment();
  cancelled.cancel();
  await expect(cancelled.run(dockerOps.replaceServices, stack, specs, 'r-2')).rejects.toMatchObject({
    name: 'CancelledFailure',
  });
  for (const s of stack.services) {
    const c = await env.docker.getContainer(fixtureContainer(stack, s)).inspect();
    expect(c.State.Running).toBe(true);
    expect(c.Config.Labels['lifeline.release']).toBe('r-1');
    expect(await containersOf(env.docker, 'swap', s.name)).toHaveLength(1);
  }
});
