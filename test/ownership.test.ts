/**
 * One owner per stack: racing triggers, idempotent API retries, preemption by a breach alert, abort at
 * three points, answers given once, and the owner under a long stream of alerts (continue-as-new while
 * a child runs). Real server, real engine, the real CLI and API.
 */
import { WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import axios from 'axios';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { ReleaseStore } from '../src/store/release-store';
import type { ProcedureProgress } from '../src/domain/procedure-types';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import type { ReleaseSummary } from '../src/domain/release';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import {
  abortUpdate,
  alertSignal,
  approveUpdate,
  denyUpdate,
  ownerStateQuery,
  progressQuery,
} from '../src/workflows/definitions';
import { OWNER_HISTORY_LIMIT } from '../src/workflows/stack-owner';
import { API_TOKEN, RunningApi, startApi } from './harness/api';
import { lifeline } from './harness/cli';
import { createTestEnv, FAST_TIMEOUTS, harnessState, TestEnv } from './harness/env';
import { rollbacksOf } from './harness/owner';
import { waitFor, waitForPending } from './harness/waits';

let env: TestEnv;
let slow: TestEnv; // its host worker delays every activity, so a test can act inside a chosen step
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  env = await createTestEnv('owner');
  slow = await createTestEnv('owner-slow', { chaosActivityDelayMs: 1500 });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(async () => {
  await slow?.teardown();
  await env?.teardown();
});

const owner = (e: TestEnv, stack: string) => e.client.workflow.getHandle(ownerWorkflowId(stack));
const cli = (e: TestEnv, configFile: string) => ({
  LIFELINE_CONFIG: configFile,
  TEMPORAL_ADDRESS: harnessState().address,
  LIFELINE_TASK_QUEUE: e.taskQueue,
});
const progress = (h: WorkflowHandle) => h.query(progressQuery);

/** Records `goodTag` as a known-good release, then runs `runningTag` (the "bad deploy"). */
async function goodThenRunning(
  e: TestEnv,
  stack: ReturnType<TestEnv['stack']>,
  goodTag: string,
  runningTag: string,
): Promise<ReleaseSummary> {
  cleanups.push(() => removeFixtureStack(e.docker, stack));
  await upFixtureStack(e.docker, stack, goodTag);
  if (goodTag !== 'v2.5.0') await waitFixtureHealthy(e.docker, stack);
  const b = await e.start('backup', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: `good ${goodTag}`,
    knownGood: true,
  });
  const { release } = (await b.result()) as { release: ReleaseSummary };
  await upFixtureStack(e.docker, stack, runningTag);
  return release;
}

async function imagesOf(e: TestEnv, stack: ReturnType<TestEnv['stack']>): Promise<string[]> {
  return Promise.all(
    stack.services.map(async (s) => (await e.docker.getContainer(fixtureContainer(stack, s)).inspect()).Config.Image),
  );
}

test('race: two CLI quick rollbacks and a critical alert within one second; exactly one acts, the rest are refused with who holds or just changed the stack', async () => {
  // A rollback here can end (verified) before a slow CLI start arrives: that request is refused as a repeat
  // of a change completed moments ago, not run as a second rollback that would go further back.
  const stack = env.stack('race', { ports: [19601, 19602] });
  const good = await goodThenRunning(env, stack, 'v2.4.9', 'v2.5.0');
  const configFile = path.join(env.dataDir, 'race.yaml');
  const stackConfig = {
    host: env.host,
    services: {
      godot: { healthUrl: 'http://127.0.0.1:19601/health' },
      api: { healthUrl: 'http://127.0.0.1:19602/health' },
    },
    statusUrl: 'http://127.0.0.1:19601/status',
    timeouts: FAST_TIMEOUTS,
  };
  writeFileSync(configFile, stringify({ dataDir: env.dataDir, stacks: { race: stackConfig } }));
  const api = await startApi(env, { race: stackConfig });
  cleanups.push(() => api.close());

  const alert = axios.post(
    `${api.url}/v1/alerts`,
    { stack: 'race', name: 'ErrorRateAbove10Percent', severity: 'critical', summary: 'error rate 31%' },
    { headers: { authorization: `Bearer ${API_TOKEN}` } },
  );
  const [a, b, alerted] = await Promise.all([
    lifeline(['--json', 'rollback', 'race', '--quick', '--as', 'alice'], cli(env, configFile)),
    lifeline(['--json', 'rollback', 'race', '--quick', '--as', 'bob'], cli(env, configFile)),
    alert,
  ]);
  expect(alerted.status).toBe(202);

  // Exactly one procedure was started by the owner, whichever trigger won.
  const state = await waitFor(
    async () => {
      const s = await owner(env, 'race').query(ownerStateQuery);
      return !s.running && s.alerts.length === 1 ? s : undefined;
    },
    'the one rollback to end',
    90_000,
  );
  const rollbacks = rollbacksOf(state);
  expect(rollbacks).toHaveLength(1);
  const codes = [a.code, b.code];
  const refused = [a, b].filter((r) => r.code === 4);
  expect(codes.filter((c) => c === 0).length + refused.length).toBe(2);
  expect(codes.filter((c) => c === 0).length).toBeLessThanOrEqual(1);
  for (const r of refused) {
    const { error, exitCode } = JSON.parse(r.stdout);
    expect(exitCode).toBe(4);
    expect(error).toMatch(
      new RegExp(
        `stack race (is busy: quick-rollback ${rollbacks[0]} started by|was changed \\d+ s ago: quick-rollback ${rollbacks[0]} requested by)`,
      ),
    );
    expect(error).toContain(`lifeline status ${rollbacks[0]}`);
  }
  const result = await env.client.workflow.getHandle(rollbacks[0]).result();
  expect(result).toMatchObject({ status: 'completed', toRelease: good.id });
  expect(await imagesOf(env, stack)).toEqual([
    'lifeline-fixture/spacetime:v2.4.9',
    'lifeline-fixture/spacetime:v2.4.9',
  ]);

  // Marks: the good release is known-good; the one "state before" release (v2.5.0) is known-bad; nothing else was recorded.
  const releases = await new ReleaseStore(env.dataDir).list('race');
  expect(releases).toHaveLength(2);
  expect(releases.find((r) => r.id === good.id)).toMatchObject({ knownGood: true });
  expect(releases.find((r) => r.id !== good.id)).toMatchObject({
    knownBad: true,
    imageTags: { godot: 'v2.5.0', api: 'v2.5.0' },
  });

  // No rollback-failed was started by anyone.
  const emergencies = [];
  for await (const w of env.client.workflow.list({
    query: `WorkflowType = "rollbackFailed" AND TaskQueue = "${env.taskQueue}"`,
  }))
    emergencies.push(w);
  expect(emergencies).toEqual([]);

  // Moments later, asked again by the API and the CLI: refused as repeats, naming the rollback that completed.
  const api409 = await axios.post(
    `${api.url}/v1/rollbacks`,
    { stack: 'race', reason: 'still bad?' },
    { headers: { authorization: `Bearer ${API_TOKEN}` }, validateStatus: () => true },
  );
  expect(api409.status).toBe(409);
  expect(api409.data).toMatchObject({ workflowId: rollbacks[0], recent: { status: 'completed' } });
  const again = await lifeline(['--json', 'rollback', 'race', '--quick', '--as', 'carol'], cli(env, configFile));
  expect(again.code).toBe(4);
  expect(JSON.parse(again.stdout).error).toContain(`was changed`);
  // Forced, it runs: here there is nothing older than the good release to go to, so it changes nothing.
  const forced = await lifeline(
    ['--json', 'rollback', 'race', '--quick', '--force', '--as', 'carol'],
    cli(env, configFile),
  );
  expect(forced.code).toBe(1);
  expect(JSON.parse(forced.stdout).error).toContain('no release of race to roll back to');
  expect(rollbacksOf(await owner(env, 'race').query(ownerStateQuery))).toHaveLength(2);
});

test('API: a retry with the same Idempotency-Key joins; another request gets 409 naming the running procedure; whenBusy queue runs after it', async () => {
  const stack = env.stack('idem', { ports: [19611, 19612] });
  const good = await goodThenRunning(env, stack, 'v2.4.9', 'v2.5.0');
  const stackConfig = {
    host: env.host,
    services: {
      godot: { healthUrl: 'http://127.0.0.1:19611/health' },
      api: { healthUrl: 'http://127.0.0.1:19612/health' },
    },
    timeouts: FAST_TIMEOUTS,
  };
  const api: RunningApi = await startApi(env, { idem: stackConfig });
  cleanups.push(() => api.close());
  const post = (body: object, key?: string) =>
    axios.post(`${api.url}/v1/rollbacks`, body, {
      headers: { authorization: `Bearer ${API_TOKEN}`, ...(key ? { 'idempotency-key': key } : {}) },
      validateStatus: () => true,
    });

  const first = await post({ stack: 'idem', reason: 'bad deploy' }, 'deploy-4711');
  expect(first.status).toBe(202);
  expect(first.data.outcome).toBe('started');
  // The sender saw a 503 (say, a proxy timed out) and retries the same request: it joins.
  const retry = await post({ stack: 'idem', reason: 'bad deploy' }, 'deploy-4711');
  expect(retry.status).toBe(202);
  expect(retry.data).toMatchObject({ outcome: 'joined', workflowId: first.data.workflowId });
  const other = await post({ stack: 'idem', reason: 'someone else' });
  expect(other.status).toBe(409);
  expect(other.data.workflowId).toBe(first.data.workflowId);
  expect(other.data.error).toContain(`is busy: quick-rollback ${first.data.workflowId}`);
  const queued = await post({ stack: 'idem', reason: 'then back up', releaseId: good.id, whenBusy: 'queue' });
  expect(queued.status).toBe(202);
  expect(queued.data.outcome).toBe('queued');

  expect(await env.client.workflow.getHandle(first.data.workflowId).result()).toMatchObject({
    status: 'completed',
    toRelease: good.id,
  });
  // The queued request starts when the first ends, and only then.
  const second = env.client.workflow.getHandle(queued.data.workflowId);
  await waitFor(
    async () => (await second.describe().catch(() => undefined)) && true,
    'the queued rollback to start',
    30_000,
  );
  // The first procedure's last act is reporting its end to the owner (its close follows a moment later).
  const firstDone = (await env.client.workflow.getHandle(first.data.workflowId).query(progressQuery)).timeline.at(-1)!;
  expect(firstDone.step).toBe('completed');
  expect((await second.describe()).startTime.getTime()).toBeGreaterThanOrEqual(Date.parse(firstDone.at));
  await second.result();
  expect(rollbacksOf(await owner(env, 'idem').query(ownerStateQuery))).toEqual([
    first.data.workflowId,
    queued.data.workflowId,
  ]);
});

test('preemption: a SecurityBreach alert during a rollback health wait stops the rollback (nothing marked) and isolates; approve and deny together: one is accepted', async () => {
  const stack = slow.stack('preempt', { ports: [19621, 19622] });
  // The "good" release is the failing v2.5.0, so the rollback sits in its health wait.
  const target = await goodThenRunning(slow, stack, 'v2.5.0', 'v2.4.9');
  const stackConfig = {
    host: slow.host,
    services: {
      godot: { healthUrl: 'http://127.0.0.1:19621/health' },
      api: { healthUrl: 'http://127.0.0.1:19622/health' },
    },
    timeouts: FAST_TIMEOUTS,
  };
  const api = await startApi(slow, { preempt: stackConfig });
  cleanups.push(() => api.close());

  const rollback = await slow.start('quick-rollback', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'first responder',
  });
  await waitFor(
    async () => ((await progress(rollback)).step.startsWith('wait for health') ? true : undefined),
    'the health wait',
    60_000,
  );
  const posted = await axios.post(
    `${api.url}/v1/alerts`,
    { stack: 'preempt', name: 'SecurityBreach', severity: 'critical', summary: 'unknown SSH key' },
    { headers: { authorization: `Bearer ${API_TOKEN}` } },
  );
  expect(posted.status).toBe(202);

  const stopped = await rollback.result().then(
    () => undefined,
    (err) => err,
  );
  expect(stopped).toBeInstanceOf(WorkflowFailedError);
  expect((stopped as WorkflowFailedError).cause).toMatchObject({ type: 'Preempted' });
  const p: ProcedureProgress = await progress(rollback);
  expect(p.status).toBe('preempted');
  expect(p.timeline.at(-1)?.detail).toMatch(
    /^preempted by emergency:security-breach:preempt:\S+ \(security-breach\) at "wait for health/,
  );
  expect(p.timeline.at(-1)?.detail).toContain('Containers now: godot: lifeline-fixture/spacetime:v2.5.0');
  const releases = await new ReleaseStore(slow.dataDir).list('preempt');
  expect(releases.filter((r) => r.knownBad)).toEqual([]); // neither the target nor the state before was marked
  expect(releases.find((r) => r.id === target.id)?.knownGood).toBe(true);

  const state = await owner(slow, 'preempt').query(ownerStateQuery);
  const breachId = state.running?.workflowId ?? '';
  expect(breachId).toMatch(/^emergency:security-breach:preempt:/);
  expect(rollbacksOf(state)).toEqual([rollback.workflowId, breachId]); // no rollback-failed
  const breach = slow.client.workflow.getHandle(breachId);
  await waitForPending(breach, 'approval', 'security team', 60_000);
  for (const s of stack.services)
    expect((await slow.docker.getContainer(fixtureContainer(stack, s)).inspect()).State.Running).toBe(false); // isolated

  // A lower-priority request during the emergency is refused.
  const refused = await slow.request('quick-rollback', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'too early',
  });
  expect(refused.reply).toMatchObject({ outcome: 'busy', workflowId: breachId });

  // Approve and deny delivered together: exactly one is accepted; the other is told who answered.
  const answers = await Promise.allSettled([
    breach.executeUpdate(denyUpdate, { args: [{ by: 'sec-lead', reason: 'keep it isolated' }] }),
    breach.executeUpdate(approveUpdate, { args: [{ by: 'cto', reason: 'ship it', releaseId: target.id }] }),
  ]);
  expect(answers.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
  const rejected = answers.find((a): a is PromiseRejectedResult => a.status === 'rejected');
  expect(String(rejected?.reason?.cause?.message ?? rejected?.reason)).toMatch(
    /already answered by (sec-lead|cto) at /,
  );
  // Whichever won, this test is done with the stack: stop what the answer set going.
  await breach.executeUpdate(abortUpdate, { args: [{ by: 'test', reason: 'test over' }] }).catch(() => undefined);
});

describe('abort really stops: nothing marked, no follow-up, the state reported', () => {
  const points = [
    { name: 'before stop', step: /^back up current state$/, changed: false },
    { name: 'during the swap', step: /^stop current version, start target version$/, changed: true },
    { name: 'during the health wait', step: /^wait for health/, changed: true },
  ];
  test.each(points)('abort $name', async ({ name, step, changed }) => {
    const stackName = `abort-${points.findIndex((p) => p.name === name)}`;
    const ports = [
      19631 + 2 * points.findIndex((p) => p.name === name),
      19632 + 2 * points.findIndex((p) => p.name === name),
    ];
    const stack = slow.stack(stackName, { ports });
    await goodThenRunning(slow, stack, 'v2.5.0', 'v2.4.9'); // a failing target keeps the health wait long
    const h = await slow.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'to abort' });
    await waitFor(async () => (step.test((await progress(h)).step) ? true : undefined), `step ${step}`, 60_000);
    await h.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'wrong stack' }] });
    const err = await h.result().then(
      () => undefined,
      (e) => e,
    );
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'Aborted' });
    const p = await progress(h);
    expect(p.status).toBe('aborted');
    const detail = p.timeline.at(-1)?.detail ?? '';
    expect(detail).toContain('aborted by carol: wrong stack');
    expect(detail).toContain('Containers now: godot:');
    expect(detail.includes('nothing was changed')).toBe(!changed);
    if (!changed)
      expect(await imagesOf(slow, stack)).toEqual([
        'lifeline-fixture/spacetime:v2.4.9',
        'lifeline-fixture/spacetime:v2.4.9',
      ]);
    expect((await new ReleaseStore(slow.dataDir).list(stackName)).filter((r) => r.knownBad)).toEqual([]);
    const state = await owner(slow, stackName).query(ownerStateQuery);
    expect(state.running).toBeUndefined();
    expect(rollbacksOf(state)).toEqual([h.workflowId]); // no rollback-failed
    // A second abort is refused: it has ended.
    await expect(h.executeUpdate(abortUpdate, { args: [{ by: 'dave', reason: 'again' }] })).rejects.toThrow();
  });
});

test(`triage under 5,000 alerts: history bounded (${OWNER_HISTORY_LIMIT} events + one task per run), continue-as-new while a child runs, no state lost`, async () => {
  const stack = env.stack('storm', { ports: [19641, 19642] });
  await goodThenRunning(env, stack, 'v2.4.9', 'v2.5.0');
  // A child that waits for a person holds the stack through the whole storm.
  const waiting = await env.start('interactive-rollback', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'held',
    choiceTimeoutSeconds: 600,
  });
  await waitForPending(waiting, 'choose-release');
  const ownerStart = { ...(await owner(env, 'storm').describe()) };
  const now = Date.now();
  // 5,000 unique alerts as Alertmanager delivers them: grouped, 5 per delivery, 1,000 deliveries, 4 at a time.
  const TOTAL = 5000;
  const GROUP = 5;
  const alert = (n: number) => ({
    source: 'generic' as const,
    stack: 'storm',
    name: `Noise${n}`,
    severity: 'low' as const,
    status: 'firing' as const,
    fingerprint: `noise-${n}`,
    startsAt: new Date(now - 1000).toISOString(),
    labels: {},
  });
  for (let i = 0; i < TOTAL; i += GROUP * 4) {
    await Promise.all(
      Array.from({ length: 4 }, (_, k) =>
        owner(env, 'storm').signal(
          alertSignal,
          Array.from({ length: GROUP }, (_, j) => alert(i + k * GROUP + j)),
        ),
      ),
    );
  }
  const runs: { runId: string; status: string }[] = [];
  await waitFor(
    async () => {
      runs.length = 0;
      for await (const w of env.client.workflow.list({ query: `WorkflowId = "${ownerWorkflowId('storm')}"` }))
        runs.push({ runId: w.runId, status: w.status.name });
      return runs.length >= 2 ? true : undefined;
    },
    'a continue-as-new',
    60_000,
  );
  for (const r of runs) {
    const history = await env.client.workflow.getHandle(ownerWorkflowId('storm'), r.runId).fetchHistory();
    expect(history.events?.length ?? 0).toBeLessThanOrEqual(OWNER_HISTORY_LIMIT + 500);
  }
  expect(ownerStart.runId).toBeDefined();
  // The new run still knows the child, and learns of its end by signal.
  const during = await owner(env, 'storm').query(ownerStateQuery);
  expect(during.running?.workflowId).toBe(waiting.workflowId);
  expect(during.alerts.length).toBeLessThanOrEqual(200);
  await waiting.executeUpdate(abortUpdate, { args: [{ by: 'test', reason: 'storm over' }] });
  await waitFor(
    async () => ((await owner(env, 'storm').query(ownerStateQuery)).running ? undefined : true),
    'the owner to free the stack',
  );
});
