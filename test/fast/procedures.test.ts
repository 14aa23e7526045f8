/**
 * Fast tier: the procedures' logic with fake activities against the real dev server and workflow bundle,
 * in seconds and without Docker (`npm run test:fast`; also part of `npm test`).
 */
import type { WaveSource } from '../../src/domain/spec-source';
import { followUp } from '../harness/owner';
import { startProcedure } from '../../src/client/start-procedure';
import type { OwnedProcedure } from '../../src/domain/ownership';
import { ownerWorkflowId } from '../../src/domain/workflow-ids';
import {
  abortUpdate,
  acknowledgeUpdate,
  approveUpdate,
  denyUpdate,
  ownerStateQuery,
  progressQuery,
} from '../../src/workflows/definitions';
import type { RollbackResult } from '../../src/workflows/steps/finish-rollback';
import { waitFor, waitForPending } from '../harness/waits';
import { FakeWorld, fakeWorld } from './fake-world';
import { sendDecision } from '../../src/api/decisions';
import { newNonce, sealPass } from '../../src/codec/decision-passes';
import { TEST_DECISION_KEY } from '../harness/env';

let world: FakeWorld | undefined;
afterEach(async () => {
  await world?.teardown();
  world = undefined;
});

const start = <P extends OwnedProcedure>(
  w: FakeWorld,
  procedure: P,
  reason: string,
  extra: { releaseId?: string; choiceTimeoutSeconds?: number } = {},
) =>
  startProcedure(
    w.client,
    procedure,
    { stack: { name: w.stack.name }, trigger: 'cli', requestedBy: 'fast', reason, ...extra },
    { taskQueue: w.taskQueue },
  );
const names = (w: FakeWorld) => w.calls.map((c) => c.name);
const recreatedWith = (w: FakeWorld) => [
  ...new Set(w.calls.filter((c) => c.name === 'recreateFromRelease').map((c) => (c.args[1] as WaveSource).label)),
];

test('quick rollback: the stack moves as one to the previous release, then verification, then the marks', async () => {
  const w = (world = await fakeWorld('fastquick'));
  const { handle } = await start(w, 'quick-rollback', 'v3 is bad');
  // Typed by the procedure's name: no cast.
  const result: RollbackResult = await handle.result();
  expect(result).toMatchObject({ status: 'completed', toRelease: '20260102-000000' });
  expect([...w.running.values()]).toEqual(['20260102-000000', '20260102-000000']);
  const order = names(w);
  expect(order.indexOf('stopContainers')).toBeLessThan(order.indexOf('recreateFromRelease'));
  expect(order.lastIndexOf('recreateFromRelease')).toBeLessThan(order.indexOf('waitForStackHealthy'));
  expect(order.indexOf('runSmokeTests')).toBeGreaterThan(order.indexOf('waitForStackHealthy'));
  // The read ahead guessed v3 (the newest release from before the rollback began, which is the running
  // state); the choice excludes the running state, so v2 is read again and restored.
  const reads = w.calls.filter((c) => c.name === 'releaseToRestore').map((c) => c.args[1]);
  expect(reads.sort()).toEqual(['20260102-000000', '20260103-000000']);
  // Facts by state: v3 was left and then found bad once the rollback verified; v2 verified good.
  expect(w.releases.map((r) => [r.id, w.facts.get(r.fingerprint)?.verdict])).toEqual([
    ['20260101-000000', 'known-good'],
    ['20260102-000000', 'known-good'],
    ['20260103-000000', 'known-bad'],
  ]);
  const progress = await handle.query(progressQuery);
  expect(progress.checklist.find((e) => e.item === 'Stakeholders notified')).toMatchObject({
    state: 'skipped',
    note: 'no notification target configured',
  });
});

test('a second quick rollback moments after one completed is refused, naming it; forced, it runs', async () => {
  const w = (world = await fakeWorld('fastrepeat'));
  const { handle: first } = await start(w, 'quick-rollback', 'v3 is bad');
  expect(await first.result()).toMatchObject({ status: 'completed', toRelease: '20260102-000000' });
  const owner = w.client.workflow.getHandle(ownerWorkflowId('fastrepeat'));
  await waitFor(
    async () => ((await owner.query(ownerStateQuery)).running ? undefined : true),
    'the owner to see the end',
  );
  const swaps = names(w).filter((n) => n === 'replaceWithRelease').length;

  // Another person (or a retried CLI) asks again: it would restore v1, past what the first one restored.
  const { reply } = await startProcedure(
    w.client,
    'quick-rollback',
    { stack: { name: w.stack.name }, trigger: 'cli', requestedBy: 'bob', reason: 'still bad?' },
    { taskQueue: w.taskQueue },
  );
  expect(reply).toMatchObject({
    outcome: 'recent',
    workflowId: first.workflowId,
    recent: { procedure: 'quick-rollback', requestedBy: 'fast', status: 'completed' },
  });
  expect(reply.message).toContain(`quick-rollback ${first.workflowId} requested by fast (cli) completed at`);
  expect(reply.message).toContain('ask again with --force');
  expect(names(w).filter((n) => n === 'replaceWithRelease')).toHaveLength(swaps);
  expect((await owner.query(ownerStateQuery)).started).toEqual([first.workflowId]);

  const forced = await startProcedure(
    w.client,
    'quick-rollback',
    { stack: { name: w.stack.name }, trigger: 'cli', requestedBy: 'bob', reason: 'v2 is bad too' },
    { taskQueue: w.taskQueue, force: true },
  );
  expect(forced.reply.outcome).toBe('started');
  expect(await forced.handle.result()).toMatchObject({ status: 'completed' });
  expect(names(w).filter((n) => n === 'replaceWithRelease')).toHaveLength(swaps + 1);
});

test('a target whose image the engine lacks: nothing is stopped, and the failure names the image', async () => {
  const w = (world = await fakeWorld('fastnoimage'));
  w.missingImages.add('spacetime:v2');
  const { handle } = await start(w, 'quick-rollback', 'v3 is bad');
  await expect(handle.result()).rejects.toMatchObject({
    cause: { type: 'MissingImage', message: expect.stringContaining('spacetime:v2; nothing was changed') },
  });
  expect(names(w)).not.toContain('stopContainers');
  expect(names(w)).not.toContain('recreateFromRelease');
  expect([...w.running.values()]).toEqual(['20260103-000000', '20260103-000000']);
});

test('a target that never gets healthy: the rollback hands over to rollback-failed, which reaches the next older release', async () => {
  const w = (world = await fakeWorld('fastfail'));
  w.unhealthy.add('20260102-000000');
  const { handle } = await start(w, 'quick-rollback', 'v3 is bad');
  const failure = await handle.result().then(
    () => undefined,
    (err: { cause?: { message?: string } }) => err.cause?.message ?? '',
  );
  const emergencyId = /emergency procedure (\S+) takes over/.exec(failure ?? '')?.[1];
  expect(emergencyId).toMatch(/^emergency:rollback-failed:fastfail:/);
  const emergency = await followUp(w.client, emergencyId!);
  expect(await emergency.result()).toMatchObject({ status: 'completed', toRelease: '20260101-000000' });
  expect(w.facts.get('v2')?.verdict).toBe('known-bad');
  expect([...w.running.values()]).toEqual(['20260101-000000', '20260101-000000']);
  const owner = await w.client.workflow.getHandle(ownerWorkflowId('fastfail')).query(ownerStateQuery);
  expect(owner.running).toBeUndefined();
});

test('healthy but failing its smoke tests: verification fails the rollback, rollback-failed takes the next older release', async () => {
  const w = (world = await fakeWorld('fastverify'));
  w.smokeFails.add('20260102-000000');
  const { handle } = await start(w, 'quick-rollback', 'v3 is bad');
  const failure = await handle.result().then(
    () => '',
    (err: { cause?: { message?: string } }) => err.cause?.message ?? '',
  );
  expect(failure).toMatch(/verification failed: smoke: api ready \(status 503 on 20260102-000000\)/);
  const emergencyId = /emergency procedure (\S+) takes over/.exec(failure)?.[1];
  const emergency = await followUp(w.client, emergencyId!);
  expect(await emergency.result()).toMatchObject({ status: 'completed', toRelease: '20260101-000000' });
  expect([...w.running.values()]).toEqual(['20260101-000000', '20260101-000000']);
  // The release that failed verification is never marked good.
  expect(w.facts.get('v2')?.verdict).toBe('known-bad');
});

test('breach denied: the stack stays isolated, no release starts, the evidence is kept', async () => {
  const w = (world = await fakeWorld('fastbreachdeny'));
  const { handle } = await start(w, 'security-breach', 'leaked key');
  await waitForPending(handle, 'approval', 'security team');
  await handle.executeUpdate(denyUpdate, { args: [{ by: 'sec', reason: 'forensics first' }] });
  expect(await handle.result()).toMatchObject({ status: 'isolated', deniedBy: 'sec', reason: 'forensics first' });
  expect(names(w)).not.toContain('recreateFromRelease');
  expect(names(w)).toContain('collectEvidence');
  expect(names(w)).toContain('stopContainers');
});

test('breach: the approved release fails, the stack is isolated again and people are paged; no other release ever starts', async () => {
  const w = (world = await fakeWorld('fastbreach'));
  w.unhealthy.add('20260102-000000');
  const { handle } = await start(w, 'security-breach', 'leaked key');
  const waiting = await waitForPending(handle, 'approval', 'security team');
  expect(waiting.pending?.options).toEqual(['20260102-000000', '20260101-000000']);
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'sec', reason: 'clean', releaseId: '20260102-000000' }] });
  await waitForPending(handle, 'ack');
  // A late second answer to the approval is told who answered, and what the procedure waits for now.
  await expect(
    handle.executeUpdate(denyUpdate, { args: [{ by: 'auditor', reason: 'too late' }] }),
  ).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/^already answered by sec at \S+ \(approval\); now waiting for ack$/) },
  });
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'sec-lead' }] });
  expect(await handle.result()).toMatchObject({ status: 'escalated', acknowledgedBy: 'sec-lead' });
  expect(recreatedWith(w)).toEqual(['20260102-000000']);
  expect(names(w).filter((n) => n === 'stopContainers').length).toBeGreaterThanOrEqual(2); // isolated, then isolated again
  expect(names(w)).toContain('writeIncidentReport');
});

test('escalation climbs on silence, one level per acknowledgement timeout, and stops at the one who acknowledges', async () => {
  const levels = ['on-call engineer', 'senior ops', 'infrastructure team'].map((name) => ({
    name,
    ackTimeoutSeconds: 1,
    contacts: [{ kind: 'webhook' as const, url: `http://127.0.0.1:9/${name.replace(/ /g, '-')}` }],
  }));
  const w = (world = await fakeWorld('fastladder'));
  w.stack.escalation = levels;
  const handle = await w.client.workflow.start('escalation', {
    taskQueue: w.taskQueue,
    workflowId: `escalation:fastladder:${Date.now()}`,
    args: [{ stack: { name: w.stack.name }, trigger: 'cli', requestedBy: 'fast', reason: 'payments down' }],
  });
  const atInfra = await waitForPending(handle, 'ack', 'infrastructure team');
  expect(atInfra.escalationLevel).toBe(3);
  const paged = w.calls
    .filter((c) => c.name === 'notify')
    .map((c) => (c.args[2] as { escalationLevel: string }).escalationLevel);
  expect(paged).toEqual(['on-call engineer', 'senior ops', 'infrastructure team']);
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'infra' }] });
  expect(await handle.result()).toMatchObject({
    status: 'escalated',
    acknowledgedBy: 'infra',
    level: 'infrastructure team',
  });
});

test('abort during the health wait: the step is cancelled, nothing is marked, nothing follows', async () => {
  const w = (world = await fakeWorld('fastabort'));
  w.hold.health = true;
  const { handle } = await start(w, 'quick-rollback', 'v3 is bad');
  await waitFor(async () => (names(w).includes('waitForStackHealthy') ? true : undefined), 'the health wait');
  await handle.executeUpdate(abortUpdate, { args: [{ by: 'oncall', reason: 'doing it by hand' }] });
  const failure = await handle.result().then(
    () => undefined,
    (err: { cause?: { type?: string; message?: string } }) => err.cause,
  );
  expect(failure).toMatchObject({ type: 'Aborted' });
  expect(failure?.message).toContain('aborted by oncall: doing it by hand at "wait for health');
  expect(names(w)).not.toContain('markRelease');
  expect(names(w)).not.toContain('settleReleases');
  // Nothing is known-bad; the state the swap left is remembered as rolled back from.
  expect(w.facts.get('v3')?.verdict).toBe('rolled-back-from');
  expect([...w.facts.values()].some((f) => f.verdict === 'known-bad')).toBe(false);
  const owner = await w.client.workflow.getHandle(ownerWorkflowId('fastabort')).query(ownerStateQuery);
  expect(owner.running).toBeUndefined();
  expect(owner.started.filter((id) => id.startsWith('emergency:'))).toEqual([]);
});

test('a breach request preempts a running rollback: the rollback stops unmarked, the breach isolates', async () => {
  const w = (world = await fakeWorld('fastpreempt'));
  w.hold.health = true;
  const { handle: rollback } = await start(w, 'quick-rollback', 'v3 is bad');
  await waitFor(async () => (names(w).includes('waitForStackHealthy') ? true : undefined), 'the health wait');
  const { reply } = await start(w, 'security-breach', 'unknown SSH key');
  expect(reply).toMatchObject({ outcome: 'started', preempted: rollback.workflowId });
  const stopped = await rollback.result().then(
    () => undefined,
    (err: { cause?: { type?: string } }) => err.cause,
  );
  expect(stopped).toMatchObject({ type: 'Preempted' });
  const breach = w.client.workflow.getHandle(reply.workflowId);
  await waitForPending(breach, 'approval', 'security team');
  // The stopped rollback marked nothing known-bad or good, and the breach's snapshot is evidence, not a verdict.
  expect(names(w).filter((n) => n === 'markRelease' || n === 'settleReleases')).toEqual([]);
  await breach.executeUpdate(abortUpdate, { args: [{ by: 'sec', reason: 'test over' }] });
});

test('specific version: the named release is read while the backup runs, once, and restored', async () => {
  const w = (world = await fakeWorld('fastpinned'));
  const { handle } = await start(w, 'specific-version-rollback', 'back to v1', { releaseId: '20260101-000000' });
  expect(await handle.result()).toMatchObject({ status: 'completed', toRelease: '20260101-000000' });
  expect(recreatedWith(w)).toEqual(['20260101-000000']);
  const order = names(w);
  // The guess (the named release) was right: the read ahead is the one used, with no second read after the choice.
  expect(w.calls.filter((c) => c.name === 'releaseToRestore').map((c) => c.args[1])).toEqual(['20260101-000000']);
  expect(order.indexOf('releaseToRestore')).toBeLessThan(order.indexOf('stopContainers'));
});

test('interactive rollback: nobody chooses a release in time, so nothing is changed', async () => {
  const w = (world = await fakeWorld('fastpick'));
  const { handle } = await start(w, 'interactive-rollback', 'v3 is bad', { choiceTimeoutSeconds: 1 });
  const failure = await handle.result().then(
    () => undefined,
    (err: { cause?: { message?: string } }) => err.cause?.message,
  );
  expect(failure).toBe('no release was chosen; nothing was changed');
  expect(names(w)).not.toContain('stopContainers');
});

test('a question reaches its people: the page opens when asked, is acknowledged on the answer, resolved at the end; an abort resolves it too', async () => {
  const people = [
    {
      name: 'fast',
      roles: ['on-call engineer'],
      channels: [{ kind: 'pagerduty' as const, routingKeyEnv: 'FAST_PAGERDUTY_KEY' }],
    },
  ];
  const w = (world = await fakeWorld('fastpeople', { people }));
  const settled = () => w.calls.filter((c) => c.name === 'settlePages').map((c) => c.args[2]);
  // The interactive rollback asks the person who asked for it: reached by name.
  const { handle } = await start(w, 'interactive-rollback', 'v3 is bad');
  await waitForPending(handle, 'choose-release', 'fast');
  await waitFor(
    async () => (w.calls.some((c) => c.name === 'askPeople') ? true : undefined),
    'the question to be pushed',
  );
  expect(w.calls.find((c) => c.name === 'askPeople')?.args[1]).toMatchObject({
    kind: 'choose-release',
    audience: 'fast',
    answerWith: `lifeline choose ${handle.workflowId} RELEASE-ID --as NAME`,
  });
  expect((await handle.query(progressQuery)).timeline).toContainEqual(
    expect.objectContaining({ step: 'asked fast', detail: 'reached fast' }),
  );
  // Someone holds the role, so the answer must be authenticated: through the API, as the API sends it.
  const { pending } = await handle.query(progressQuery);
  await sendDecision(
    w.client,
    TEST_DECISION_KEY,
    {
      workflowId: handle.workflowId,
      question: pending!,
      person: 'fast',
      via: 'api',
      action: 'choose',
      releaseId: '20260102-000000',
    },
    Date.now(),
  );
  expect(await handle.result()).toMatchObject({ status: 'completed', toRelease: '20260102-000000' });
  expect(settled()).toEqual(['acknowledge', 'resolve']);

  // Asked again and aborted before anyone answers: the page is resolved, never left open.
  const again = await startProcedure(
    w.client,
    'interactive-rollback',
    { stack: { name: w.stack.name }, trigger: 'cli', requestedBy: 'fast', reason: 'again' },
    { taskQueue: w.taskQueue },
  );
  await waitForPending(again.handle, 'choose-release', 'fast');
  await again.handle.executeUpdate(abortUpdate, { args: [{ by: 'fast', reason: 'doing it by hand' }] });
  await again.handle.result().catch(() => undefined);
  expect(settled()).toEqual(['acknowledge', 'resolve', 'resolve']);
});

test('a decision that needs a role is authenticated: straight to Temporal, another role, another question, a used link and one person twice are refused; two approvals deploy', async () => {
  const sec = (name: string) => ({
    name,
    roles: ['security team'],
    channels: [{ kind: 'webhook' as const, url: 'http://127.0.0.1:9/x' }],
  });
  const people = [sec('ann'), sec('cat'), { ...sec('bob'), roles: ['on-call engineer'] }];
  const w = (world = await fakeWorld('fasttwo', { people, decisions: { twoPeople: ['breach approval'] } }));
  const { handle } = await start(w, 'security-breach', 'leaked key');
  const { pending: question } = await waitForPending(handle, 'approval', 'security team');
  expect(question).toMatchObject({
    approvalsNeeded: 2,
    releases: [
      expect.objectContaining({ id: '20260102-000000', knownGood: true, imageTags: { godot: 'v2', api: 'v2' } }),
      expect.objectContaining({ id: '20260101-000000' }),
    ],
  });
  const decide = (person: string, opts: { nonce?: string; questionId?: string; action?: 'approve' | 'deny' } = {}) =>
    sendDecision(
      w.client,
      TEST_DECISION_KEY,
      {
        workflowId: handle.workflowId,
        question: { ...question!, id: opts.questionId ?? question!.id },
        person,
        via: 'link',
        nonce: opts.nonce,
        action: opts.action ?? 'approve',
        reason: `${person} checked`,
      },
      Date.now(),
    );
  // Straight to Temporal, naming a security member: refused, nothing recorded.
  await expect(
    handle.executeUpdate(approveUpdate, { args: [{ by: 'ann', reason: 'trust me' }] }),
  ).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/must answer this with an authenticated decision/) },
  });
  // A forged proof (sealed with another key) fails the worker's check.
  const forged = sealPass('another-key-0123456789abcdefghijklmnopqrstuv', 'proof', {
    workflowId: handle.workflowId,
    questionId: question!.id,
    person: 'ann',
    nonce: newNonce(),
    expiresAt: Date.now() + 60_000,
    via: 'api',
  });
  await expect(
    handle.executeUpdate(approveUpdate, { args: [{ by: 'ann', reason: 'forged', proof: forged }] }),
  ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/proof is invalid/) } });
  await expect(decide('bob')).rejects.toThrow(/bob does not hold the role "security team"/);
  await expect(decide('ann', { questionId: '9.earlier' })).rejects.toThrow(/earlier question/);

  const link = newNonce();
  expect(await decide('ann', { nonce: link })).toMatchObject({
    by: 'ann',
    approved: true,
    channel: 'link',
    authenticated: true,
  });
  const after = await handle.query(progressQuery);
  expect(after.pending).toMatchObject({ id: question!.id, approvedBy: ['ann'] }); // one of two: still waiting
  expect(names(w)).not.toContain('recreateFromRelease');
  await expect(decide('ann')).rejects.toThrow(/ann has approved already/);
  await expect(decide('cat', { nonce: link })).rejects.toThrow(/this link was already used/);
  await decide('cat');
  expect(await handle.result()).toMatchObject({ status: 'completed' });
  expect(recreatedWith(w)).toEqual(['20260102-000000']);
  const { decisions, timeline } = await handle.query(progressQuery);
  expect(decisions.map((d) => [d.by, d.approved, d.channel, d.authenticated])).toEqual([
    ['ann', true, 'link', true],
    ['cat', true, 'link', true],
  ]);
  expect(timeline.map((t) => t.step)).toEqual(
    expect.arrayContaining(['approval 1 of 2 by ann', 'approval by cat (link)']),
  );
});

test('behind an ingress, a quick rollback swaps beside the running version: nothing is stopped first', async () => {
  const front = (ports: [number, number]) => ({ upstream: 'app', ports });
  const w = (world = await fakeWorld('fastgapless', {
    ingress: { container: 'nginx', services: { godot: front([8001, 8101]), api: front([8002, 8102]) } },
  }));
  const { handle } = await start(w, 'quick-rollback', 'v3 is bad');
  expect(await handle.result()).toMatchObject({ status: 'completed', toRelease: '20260102-000000' });
  expect([...w.running.values()]).toEqual(['20260102-000000', '20260102-000000']);
  expect(names(w)).toContain('swapBehindIngress');
  expect(names(w)).not.toContain('replaceWithRelease');
  expect(names(w)).not.toContain('stopContainers');
  const { timeline } = await handle.query(progressQuery);
  expect(timeline.find((t) => t.step === 'swapped')?.detail).toBe('godot: beside, api: beside');
});
