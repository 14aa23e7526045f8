/**
 * Fast tier, with time skipping: the runbook's decision matrix through triage's real timers (5 and 15
 * minutes, a 30-minute question) on Temporal's time-skipping test server, with fake activities. Minutes of
 * workflow time pass in milliseconds, so every path is walked with the runbook's own numbers.
 */
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import path from 'node:path';
import { ownerStartOptions } from '../../src/client/start-procedure';
import type { AlertEvent } from '../../src/domain/alerts';
import type { Severity } from '../../src/domain/decision-matrix';
import type { OwnerState } from '../../src/domain/owner';
import { ownerWorkflowId } from '../../src/domain/workflow-ids';
import { SA } from '../../src/domain/search-attributes';
import {
  alertSignal,
  approveUpdate,
  denyUpdate,
  ownerStateQuery,
  progressQuery,
} from '../../src/workflows/definitions';
import { testDataConverter } from '../harness/env';
import { waitFor } from '../harness/waits';
import { FakeWorld, fakeWorld } from './fake-world';

const APPROVAL_TIMEOUT_SECONDS = 1800;
const MINUTE = 60_000;

let env: TestWorkflowEnvironment;
let world: FakeWorld | undefined;

// One environment per test: time skipping is global, and a previous test's owner (still running, its
// worker gone) would hold the clock.
beforeEach(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: {
      executable: { type: 'existing-path', path: path.resolve(__dirname, '../../.tools/bin/temporal-test-server') },
    },
    client: { dataConverter: testDataConverter() },
  });
  // The test server knows no custom search attributes until told, as a real cluster.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      Object.values(SA).map((k) => [
        k.name,
        k.type === SearchAttributeType.INT
          ? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT
          : temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
});
afterEach(async () => {
  await world?.teardown();
  world = undefined;
  await env?.teardown();
});

const ownerOf = (w: FakeWorld) => w.client.workflow.getHandle(ownerWorkflowId(w.stack.name));
const ownerState = (w: FakeWorld): Promise<OwnerState> => ownerOf(w).query(ownerStateQuery);

/** Posts one alert as the API does: signal-with-start of the stack's owner, starting now in workflow time. */
async function fire(
  w: FakeWorld,
  severity: Severity,
  status: 'firing' | 'resolved' = 'firing',
  startsAt?: string,
  fingerprint = `fp-${severity}`,
) {
  const event: AlertEvent = {
    source: 'alertmanager',
    stack: w.stack.name,
    name: `${severity}-alert`,
    severity,
    status,
    fingerprint,
    startsAt: startsAt ?? new Date(await env.currentTimeMs()).toISOString(),
    labels: { stack: w.stack.name, severity },
  };
  await w.client.workflow.signalWithStart('stackOwner', {
    ...ownerStartOptions(
      { name: w.stack.name },
      { taskQueue: w.taskQueue, approvalTimeoutSeconds: APPROVAL_TIMEOUT_SECONDS },
    ),
    signal: alertSignal,
    signalArgs: [[event]],
  });
  return event;
}

/** Waits until triage has judged the alert (its matrix action is `action`). */
const judged = (w: FakeWorld, action: string) =>
  waitFor(async () => ((await ownerState(w)).alerts.some((a) => a.action === action) ? true : undefined), action);

const rolledBack = (w: FakeWorld) => w.calls.some((c) => c.name === 'recreateFromRelease');
const notices = (w: FakeWorld) =>
  w.calls.filter((c) => c.name === 'notify').map((c) => (c.args[1] as { message: string }).message);
/** The quick rollback the owner started, awaited to its end (awaiting a result lets the server skip time). */
async function rollbackDone(w: FakeWorld): Promise<OwnerState> {
  const { started } = await waitFor(
    async () => ((await ownerState(w)).started.length > 0 ? ownerState(w) : undefined),
    'the rollback to start',
  );
  expect(started).toHaveLength(1);
  await expect(w.client.workflow.getHandle(started[0]).result()).resolves.toMatchObject({ status: 'completed' });
  expect(rolledBack(w)).toBe(true);
  return ownerState(w);
}

/** A fake stack with one notification target (the fake notify accepts it), so triage's notices are seen. */
async function world$(name: string): Promise<FakeWorld> {
  world = await fakeWorld(name, {}, env);
  world.stack.notifications = [{ kind: 'webhook', url: 'http://127.0.0.1:9/hook' }];
  return world;
}

test('critical: rollback now, no timer', async () => {
  const w = await world$('tscritical');
  await fire(w, 'critical');
  const s = await rollbackDone(w);
  expect(s.started).toHaveLength(1);
  expect(s.started[0]).toMatch(/quick-rollback/);
});

test('critical right after a completed rollback: refused as a repeat, with a notice instead of a second rollback', async () => {
  const w = await world$('tsrepeat');
  await fire(w, 'critical');
  const first = await rollbackDone(w);
  await waitFor(async () => ((await ownerState(w)).running ? undefined : true), 'the owner to see the end');
  // Another alert about the same outage: rolling back again would go past what was just restored.
  await fire(w, 'critical', 'firing', undefined, 'fp-second');
  await waitFor(
    async () => (notices(w).some((m) => m.includes('no quick-rollback started')) ? true : undefined),
    'the notice',
  );
  const refused = notices(w).find((m) => m.includes('no quick-rollback started'))!;
  expect(refused).toContain(`quick-rollback ${first.started[0]} requested by alertmanager alert (alert) completed at`);
  expect((await ownerState(w)).started).toEqual(first.started);
  expect(w.calls.filter((c) => c.name === 'replaceWithRelease')).toHaveLength(1);
});

test('high: monitored closely with a notice, rolled back once it has lasted over 5 minutes', async () => {
  const w = await world$('tshigh');
  await fire(w, 'high');
  await judged(w, 'monitor-closely');
  await waitFor(async () => (notices(w).some((m) => /monitoring closely/.test(m)) ? true : undefined), 'the notice');
  await env.sleep(4 * MINUTE);
  expect(rolledBack(w)).toBe(false);
  // Just past the threshold: once a rollback runs, the test server skips time only between its tasks.
  await env.sleep(1.1 * MINUTE);
  const s = await rollbackDone(w);
  expect(s.alerts[0]).toMatchObject({ action: 'rollback' });
});

test('high that resolves within 5 minutes: no rollback, ever', async () => {
  const w = await world$('tshighres');
  const firing = await fire(w, 'high');
  await judged(w, 'monitor-closely');
  await env.sleep(3 * MINUTE);
  await fire(w, 'high', 'resolved', firing.startsAt);
  await waitFor(async () => ((await ownerState(w)).alerts.length === 0 ? true : undefined), 'the resolve');
  await env.sleep(30 * MINUTE); // timers only: skipped at once
  expect((await ownerState(w)).started).toEqual([]);
  expect(rolledBack(w)).toBe(false);
});

test('medium over 15 minutes: a person is asked; approval rolls back', async () => {
  const w = await world$('tsmedium');
  await fire(w, 'medium');
  await judged(w, 'monitor');
  await env.sleep(14 * MINUTE);
  expect((await ownerState(w)).awaitingApprovalFor).toBeUndefined();
  await env.sleep(2 * MINUTE);
  await waitFor(async () => (await ownerState(w)).awaitingApprovalFor, 'the question');
  expect(rolledBack(w)).toBe(false);
  await ownerOf(w).executeUpdate(approveUpdate, { args: [{ by: 'alice', reason: 'still degraded' }] });
  await rollbackDone(w);
});

test('medium: a denial leaves the stack alone and is not asked again', async () => {
  const w = await world$('tsmediumdeny');
  await fire(w, 'medium');
  await env.sleep(16 * MINUTE);
  await waitFor(async () => (await ownerState(w)).awaitingApprovalFor, 'the question');
  await ownerOf(w).executeUpdate(denyUpdate, { args: [{ by: 'bob', reason: 'known, harmless' }] });
  await env.sleep(60 * MINUTE);
  const s = await ownerState(w);
  expect(s.awaitingApprovalFor).toBeUndefined();
  expect(s.started).toEqual([]);
  expect(rolledBack(w)).toBe(false);
});

test('medium: unanswered, the question climbs the escalation path level by level, and the last level is asked until it answers', async () => {
  const w = await world$('tsmediumsilent');
  await fire(w, 'medium');
  await env.sleep(16 * MINUTE);
  const waitingFor = async () => (await ownerOf(w).query(progressQuery))?.pending?.waitingFor;
  const levels = w.stack.escalation.map((l) => l.name);
  expect(levels.length).toBeGreaterThan(1);
  for (const level of levels) {
    await waitFor(async () => ((await waitingFor()) === level ? true : undefined), `the question to reach ${level}`);
    expect((await ownerState(w)).awaitingApprovalFor).toBeDefined();
    await env.sleep(APPROVAL_TIMEOUT_SECONDS * 1000 + MINUTE);
  }
  // Long after: nobody answered, and the question is still there at the top, not dropped.
  await env.sleep(5 * APPROVAL_TIMEOUT_SECONDS * 1000);
  expect(await waitingFor()).toBe(levels[levels.length - 1]);
  expect((await ownerState(w)).started).toEqual([]);
  await ownerOf(w).executeUpdate(denyUpdate, { args: [{ by: 'cto', reason: 'known, harmless' }] });
  await waitFor(
    async () => ((await ownerState(w)).awaitingApprovalFor === undefined ? true : undefined),
    'the answer to close the question',
  );
  expect((await ownerState(w)).started).toEqual([]);
  expect(rolledBack(w)).toBe(false);
});

test('low: logged only, even after hours', async () => {
  const w = await world$('tslow');
  await fire(w, 'low');
  await judged(w, 'log');
  await env.sleep(180 * MINUTE);
  expect((await ownerState(w)).started).toEqual([]);
  expect(rolledBack(w)).toBe(false);
});
