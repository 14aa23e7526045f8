/**
 * Fast tier: the procedures' logic with fake activities against the real dev server and workflow bundle,
 * in seconds and without Docker (`npm run test:fast`; also part of `npm test`).
 */
import { startProcedure } from '../../src/client/procedures';
import { ownerWorkflowId } from '../../src/domain/procedures';
import { acknowledgeUpdate, approveUpdate, ownerStateQuery, progressQuery } from '../../src/workflows/definitions';
import type { RollbackResult } from '../../src/workflows/steps/finish-rollback';
import { waitFor, waitForPending } from '../harness/waits';
import { FakeWorld, fakeWorld } from './fake-world';

let world: FakeWorld | undefined;
afterEach(async () => {
  await world?.teardown();
  world = undefined;
});

const start = (w: FakeWorld, procedure: Parameters<typeof startProcedure>[1], reason: string) =>
  startProcedure(
    w.client,
    procedure,
    { stack: { name: w.stack.name }, trigger: 'cli', requestedBy: 'fast', reason },
    { taskQueue: w.taskQueue },
  );
const names = (w: FakeWorld) => w.calls.map((c) => c.name);
const recreatedWith = (w: FakeWorld) => [
  ...new Set(w.calls.filter((c) => c.name === 'recreateFromSpec').map((c) => c.args[2] as string)),
];

test('quick rollback: the stack moves as one to the previous release, then verification, then the marks', async () => {
  const w = (world = await fakeWorld('fastquick'));
  const { handle } = await start(w, 'quick-rollback', 'v3 is bad');
  const result = (await handle.result()) as RollbackResult;
  expect(result).toMatchObject({ status: 'completed', toRelease: '20260102-000000' });
  expect([...w.running.values()]).toEqual(['20260102-000000', '20260102-000000']);
  const order = names(w);
  expect(order.indexOf('stopContainers')).toBeLessThan(order.indexOf('recreateFromSpec'));
  expect(order.lastIndexOf('recreateFromSpec')).toBeLessThan(order.indexOf('waitForStackHealthy'));
  expect(order.indexOf('runSmokeTests')).toBeGreaterThan(order.indexOf('waitForStackHealthy'));
  expect(w.releases.map((r) => [r.id, r.knownBad])).toEqual([
    ['20260101-000000', false],
    ['20260102-000000', false],
    ['20260103-000000', true],
  ]);
  const progress = await handle.query(progressQuery);
  expect(progress.checklist.find((e) => e.item === 'Stakeholders notified')).toMatchObject({
    state: 'skipped',
    note: 'no notification target configured',
  });
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
  const emergency = w.client.workflow.getHandle(emergencyId!);
  await waitFor(
    async () => ((await emergency.describe().catch(() => undefined)) ? true : undefined),
    'rollback-failed to start',
  );
  expect(await emergency.result()).toMatchObject({ status: 'completed', toRelease: '20260101-000000' });
  expect(w.releases.find((r) => r.id === '20260102-000000')?.knownBad).toBe(true);
  expect([...w.running.values()]).toEqual(['20260101-000000', '20260101-000000']);
  const owner = await w.client.workflow.getHandle(ownerWorkflowId('fastfail')).query(ownerStateQuery);
  expect(owner.running).toBeUndefined();
});

test('breach: the approved release fails, the stack is isolated again and people are paged; no other release ever starts', async () => {
  const w = (world = await fakeWorld('fastbreach'));
  w.unhealthy.add('20260102-000000');
  const { handle } = await start(w, 'security-breach', 'leaked key');
  const waiting = await waitForPending(handle, 'approval', 'security team');
  expect(waiting.pending?.options).toEqual(['20260102-000000', '20260101-000000']);
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'sec', reason: 'clean', releaseId: '20260102-000000' }] });
  await waitForPending(handle, 'ack');
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'sec-lead' }] });
  expect(await handle.result()).toMatchObject({ status: 'escalated', acknowledgedBy: 'sec-lead' });
  expect(recreatedWith(w)).toEqual(['20260102-000000']);
  expect(names(w).filter((n) => n === 'stopContainers').length).toBeGreaterThanOrEqual(2); // isolated, then isolated again
  expect(names(w)).toContain('writeIncidentReport');
});
