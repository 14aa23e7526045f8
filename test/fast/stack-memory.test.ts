/**
 * Fast tier: the stack owner's memory with fake activities on the real dev server. A hold outlives the
 * procedure that set it, whatever asks next; a trigger that cannot act waits or goes to people; a failed
 * start leaves no key behind; the owner refuses messages that are not its own.
 */
import type { WaveSource } from '../../src/domain/spec-source';
import { ownerStartOptions, startProcedure } from '../../src/client/start-procedure';
import type { AlertEvent } from '../../src/domain/alerts';
import type { OwnedProcedure } from '../../src/domain/ownership';
import { ownerWorkflowId } from '../../src/domain/workflow-ids';
import {
  abortUpdate,
  alertSignal,
  confirmStepUpdate,
  denyUpdate,
  liftHoldUpdate,
  ownerStateQuery,
} from '../../src/workflows/definitions';
import { sendDecision, sendLift } from '../../src/api/decisions';
import { TEST_DECISION_KEY } from '../harness/env';
import { waitFor, waitForPending } from '../harness/waits';
import { FakeWorld, fakeWorld } from './fake-world';

let world: FakeWorld | undefined;
afterEach(async () => {
  await world?.teardown();
  world = undefined;
});

const ask = (w: FakeWorld, procedure: OwnedProcedure, opts: { queue?: boolean; force?: boolean; key?: string } = {}) =>
  startProcedure(
    w.client,
    procedure,
    {
      stack: { name: w.stack.name },
      trigger: 'cli',
      requestedBy: 'engineer',
      reason: 'try it',
      releaseId: '20260101-000000',
    },
    { taskQueue: w.taskQueue, whenBusy: opts.queue ? 'queue' : 'refuse', force: opts.force, requestKey: opts.key },
  );
const owner = (w: FakeWorld) => w.client.workflow.getHandle(ownerWorkflowId(w.stack.name));
const state = (w: FakeWorld) => owner(w).query(ownerStateQuery);
const notices = (w: FakeWorld) =>
  w.calls.filter((c) => c.name === 'notify').map((c) => (c.args[1] as { message: string }).message);

async function fire(w: FakeWorld, name: string): Promise<void> {
  const event: AlertEvent = {
    source: 'alertmanager',
    stack: w.stack.name,
    name,
    severity: 'critical',
    status: 'firing',
    fingerprint: `fp-${name}`,
    startsAt: new Date().toISOString(),
    labels: { stack: w.stack.name },
  };
  await w.client.workflow.signalWithStart('stackOwner', {
    ...ownerStartOptions({ name: w.stack.name }, { taskQueue: w.taskQueue }),
    signal: alertSignal,
    signalArgs: [[event]],
  });
}

async function world$(name: string): Promise<FakeWorld> {
  world = await fakeWorld(name);
  world.stack.notifications = [{ kind: 'webhook', url: 'http://127.0.0.1:9/hook' }];
  return world;
}

test('a denied breach holds the stack: nothing from any entry point starts until the security team lifts it', async () => {
  const w = await world$('fastheld');
  const { handle: breach } = await ask(w, 'security-breach');
  await waitForPending(breach, 'approval', 'security team');
  await breach.executeUpdate(denyUpdate, { args: [{ by: 'sec', reason: 'forensics still running' }] });
  expect(await breach.result()).toMatchObject({ status: 'isolated' });
  const held = await waitFor(async () => ((await state(w)).state === 'held' ? state(w) : undefined), 'the hold');
  expect(held.hold).toMatchObject({
    workflowId: breach.workflowId,
    audience: 'security team',
    procedure: 'security-breach',
  });
  const swaps = w.calls.filter((c) => c.name === 'recreateFromRelease').length;

  // An engineer's explicit release, forced; a queued request; an emergency of higher priority: all refused.
  for (const [procedure, opts] of [
    ['specific-version-rollback', { force: true }],
    ['quick-rollback', { queue: true }],
    ['complete-service-outage', {}],
  ] as const) {
    const { reply } = await ask(w, procedure, opts);
    expect(reply).toMatchObject({ outcome: 'held', workflowId: breach.workflowId });
    expect(reply.message).toContain('lifeline lift fastheld --audience "security team"');
  }
  // A critical alert: recorded and told to people, nothing started.
  await fire(w, 'ApiDown');
  await waitFor(
    async () => (notices(w).some((m) => m.includes('ApiDown') && m.includes('is held')) ? true : undefined),
    'the alert to be told',
  );
  expect((await state(w)).started).toEqual([breach.workflowId]);
  expect(w.calls.filter((c) => c.name === 'recreateFromRelease')).toHaveLength(swaps);

  // The hold outlives the owner run: a fresh run (after a terminate) reads it back before it answers.
  await owner(w).terminate('lost the owner');
  expect((await ask(w, 'quick-rollback')).reply).toMatchObject({ outcome: 'held', workflowId: breach.workflowId });

  // Only the hold's audience lifts it, with a reason; the lift starts nothing.
  await expect(
    owner(w).executeUpdate(liftHoldUpdate, { args: [{ by: 'oncall', audience: 'on-call engineer', reason: 'ok' }] }),
  ).rejects.toMatchObject({ cause: { message: expect.stringContaining('only the security team lifts this hold') } });
  // Nobody holds the role here: the API's word for the person is enough, and the lift records it came that way.
  const { hold } = await state(w);
  const lifted = await sendLift(
    w.client,
    TEST_DECISION_KEY,
    { stack: w.stack.name, hold: hold!, person: 'sec-lead', reason: 'forensics done, keys rotated' },
    Date.now(),
  );
  expect(lifted).toMatchObject({ by: 'sec-lead', hold: { workflowId: breach.workflowId }, channel: 'api' });
  const after = await state(w);
  expect(after).toMatchObject({ state: 'free', lifted: [{ by: 'sec-lead', reason: 'forensics done, keys rotated' }] });
  expect(after.started).toEqual([]); // the fresh run has started nothing
  expect(w.calls.filter((c) => c.name === 'recreateFromRelease')).toHaveLength(swaps);
  const note = w.calls.find((c) => c.name === 'noteInIncidentReport');
  expect(note?.args.slice(1)).toEqual([
    breach.workflowId,
    expect.stringContaining('by sec-lead for the security team (via api)'),
  ]);
  expect((await ask(w, 'specific-version-rollback')).reply.outcome).toBe('started');
});

test("once someone holds the hold's audience role, only their authenticated decision lifts it, recorded as theirs", async () => {
  const person = (name: string, role: string) => ({
    name,
    roles: [role],
    channels: [{ kind: 'webhook' as const, url: 'http://127.0.0.1:9/x' }],
  });
  const w = (world = await fakeWorld('fastlift', {
    people: [person('ann', 'security team'), person('bob', 'on-call engineer')],
  }));
  const { handle: breach } = await ask(w, 'security-breach');
  const { pending } = await waitForPending(breach, 'approval', 'security team');
  const decision = { workflowId: breach.workflowId, question: pending!, person: 'ann', via: 'api' as const };
  await sendDecision(w.client, TEST_DECISION_KEY, { ...decision, action: 'deny', reason: 'forensics' }, Date.now());
  await breach.result();
  const { hold } = await waitFor(async () => ((await state(w)).hold ? state(w) : undefined), 'the hold');
  const lift = (who: string, key = TEST_DECISION_KEY, of = hold!) =>
    sendLift(w.client, key, { stack: w.stack.name, hold: of, person: who, reason: `${who} checked` }, Date.now());

  // Straight to Temporal, naming a security member: refused.
  await expect(
    owner(w).executeUpdate(liftHoldUpdate, { args: [{ by: 'ann', audience: 'security team', reason: 'trust me' }] }),
  ).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/must decide this with an authenticated decision/) },
  });
  // Another role, a proof sealed with another key, a proof for an earlier hold: refused.
  await expect(lift('bob')).rejects.toThrow(/bob does not hold the role "security team"/);
  await expect(lift('ann', 'another-key-0123456789abcdefghijklmnopqrstuv')).rejects.toThrow(/proof is invalid/);
  await expect(lift('ann', TEST_DECISION_KEY, { ...hold!, since: '2020-01-01T00:00:00.000Z' })).rejects.toThrow(
    /earlier question/,
  );
  expect((await state(w)).state).toBe('held');

  const lifted = await lift('ann');
  expect(lifted).toMatchObject({
    by: 'ann',
    channel: 'api',
    authenticated: true,
    hold: { workflowId: breach.workflowId },
  });
  expect(await state(w)).toMatchObject({ state: 'free', lifted: [{ by: 'ann', channel: 'api', authenticated: true }] });
  const note = w.calls.find((c) => c.name === 'noteInIncidentReport');
  expect(note?.args[2]).toContain('by ann for the security team (via api)');
});

test('a critical alert that finds the stack busy waits for it, then goes to people instead of rolling back further', async () => {
  const w = await world$('fastdefer');
  w.hold.health = true;
  const { handle: rollback } = await ask(w, 'quick-rollback');
  await waitFor(async () => (w.calls.some((c) => c.name === 'waitForStackHealthy') ? true : undefined), 'the swap');
  await fire(w, 'ErrorRate');
  await waitFor(
    async () => (notices(w).some((m) => m.includes('ErrorRate') && m.includes('waits')) ? true : undefined),
    'the wait to be told',
  );
  w.hold.health = false;
  await rollback.result();
  // Judged again once the stack was free: the rollback just completed, so people decide, with the reason.
  await waitFor(
    async () => (notices(w).some((m) => m.includes('ErrorRate: no quick-rollback started')) ? true : undefined),
    'the alert to go to people',
  );
  expect((await state(w)).started).toEqual([rollback.workflowId]);
});

test('a start that failed leaves no key: the same request asked again starts, not joins the failure', async () => {
  const w = await world$('fastkey');
  w.configMissing.on = true;
  await expect(ask(w, 'backup', { key: 'api:k1' })).rejects.toMatchObject({
    cause: { message: expect.stringContaining('could not start backup') },
  });
  w.configMissing.on = false;
  const again = await ask(w, 'backup', { key: 'api:k1' });
  expect(again.reply.outcome).toBe('started');
  await again.handle.result();
});

test("the owner refuses a procedure's abort and keeps serving", async () => {
  const w = await world$('fastownerabort');
  const { handle } = await ask(w, 'backup');
  await handle.result();
  // The owner registers no abort: the update is rejected as one it does not handle, and nothing changes.
  await expect(owner(w).executeUpdate(abortUpdate, { args: [{ by: 'x', reason: 'y' }] })).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/abort/) },
  });
  expect((await state(w)).state).toBe('free');
  expect((await ask(w, 'backup')).reply.outcome).toBe('started');
});

test('a fresh owner run adopts the procedure still running on its stack, and starts nothing beside it', async () => {
  const w = await world$('fastadopt');
  w.hold.health = true;
  const { handle: rollback } = await ask(w, 'quick-rollback');
  await waitFor(async () => (w.calls.some((c) => c.name === 'waitForStackHealthy') ? true : undefined), 'the swap');
  await owner(w).terminate('the owner is lost');
  // The next request starts a fresh owner run, which finds the rollback before it answers.
  const { reply } = await ask(w, 'backup');
  expect(reply).toMatchObject({ outcome: 'busy', workflowId: rollback.workflowId });
  w.hold.health = false;
  await rollback.result();
  // The rollback's end reaches the new run, which frees the stack.
  await waitFor(async () => ((await state(w)).running ? undefined : true), 'the stack to be free');
  expect((await ask(w, 'backup')).reply.outcome).toBe('started');
});

test('rollback-failed after a container rollback never restores the state that rollback left', async () => {
  const w = await world$('fasthandover');
  // The image-tag rollback's containers (labelled image:<tag>) never get healthy.
  w.unhealthy.add('image');
  const { handle } = await startProcedure(
    w.client,
    'container-rollback',
    { stack: { name: w.stack.name }, trigger: 'cli', requestedBy: 'engineer', reason: 'v3 bad', imageTag: 'v9' },
    { taskQueue: w.taskQueue },
  );
  const failure = await handle.result().then(
    () => undefined,
    (err: { cause?: { message?: string } }) => err.cause?.message,
  );
  const emergencyId = /emergency procedure (\S+) takes over/.exec(failure ?? '')?.[1];
  expect(emergencyId).toBeDefined();
  const emergency = w.client.workflow.getHandle(emergencyId!);
  await waitFor(async () => (await emergency.describe()) && true, 'rollback-failed to start');
  // It was told which state was left (v3), and went to the newest release that is neither that nor bad.
  expect(await emergency.result()).toMatchObject({ status: 'completed', toRelease: '20260102-000000' });
  const restored = w.calls.filter((c) => c.name === 'recreateFromRelease').map((c) => (c.args[1] as WaveSource).label);
  expect(restored).not.toContain('20260103-000000');
  expect(w.facts.get('v3')?.verdict).toBe('rolled-back-from');
});

test('a person naming a release that is known-bad is asked to confirm it first; confirmed, it runs', async () => {
  const w = await world$('fastconfirm');
  const { handle: quick } = await ask(w, 'quick-rollback');
  await quick.result(); // v3 is known-bad now
  const { handle } = await startProcedure(
    w.client,
    'specific-version-rollback',
    {
      stack: { name: w.stack.name },
      trigger: 'cli',
      requestedBy: 'engineer',
      reason: 'v3 after all',
      releaseId: '20260103-000000',
    },
    { taskQueue: w.taskQueue },
  );
  const waiting = await waitForPending(handle, 'confirm-step', 'engineer');
  expect(waiting.pending?.prompt).toMatch(
    /^release 20260103-000000 is known-bad \(rolled back from, and the rollback verified; by .*\): roll back to it anyway\?$/,
  );
  const swaps = w.calls.filter((c) => c.name === 'replaceWithRelease').length;
  await handle.executeUpdate(confirmStepUpdate, { args: [{ by: 'engineer', reason: 'the bug was in the config' }] });
  expect(await handle.result()).toMatchObject({ status: 'completed', toRelease: '20260103-000000' });
  expect(w.calls.filter((c) => c.name === 'replaceWithRelease')).toHaveLength(swaps + 1);
});
