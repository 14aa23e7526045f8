/**
 * Worker Deployment versioning (docs/VERSIONING.md) on the real dev server: two builds of the orchestration
 * worker side by side on one task queue. A procedure ends on the build that started it (PINNED) after the
 * other build became current; a new procedure starts on the new build; the stack owner moves (AUTO_UPGRADE).
 */
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { ResolvedStack } from '../src/domain/config';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import { createWorkers, deploymentVersion } from '../src/worker/workers';
import { acknowledgeUpdate, alertSignal } from '../src/workflows/definitions';
import type { StackOwnerInput } from '../src/workflows/stack-owner';
import {
  currentBuildId,
  drainageStatus,
  setCurrentVersion,
  versioningOf,
  waitForVersions,
  workflowTasks,
} from './harness/deployments';
import { createTestEnv, harnessState, testDataConverter, TestEnv } from './harness/env';
import { BUNDLE_FILE } from './harness/paths';
import { waitFor, waitForPending } from './harness/waits';

// One deployment per run, so a rerun against a kept server (LIFELINE_TEST_TEMPORAL_ADDRESS) starts clean.
const DEPLOYMENT = `lifeline-test-${Date.now().toString(36)}`;

let env: TestEnv;
let connection: NativeConnection;
const running: { worker: Worker; run: Promise<void> }[] = [];

/** An orchestration worker of the given build, as `createWorkers` makes it for the operator's build ID. */
async function startBuild(buildId: string): Promise<WorkerDeploymentVersion> {
  const versioning = { deploymentName: DEPLOYMENT, buildId };
  const [worker] = await createWorkers({
    connection,
    namespace: 'default',
    host: env.host,
    roles: ['orchestration'],
    dataConverter: testDataConverter(),
    stacks: env.pinnedStacks,
    workflowBundle: { codePath: BUNDLE_FILE },
    taskQueue: env.taskQueue,
    versioning,
  });
  running.push({ worker, run: worker.run() });
  return deploymentVersion(versioning);
}

beforeAll(async () => {
  // The env's client, stacks and config; its own (unversioned) workers would compete for the queue: none.
  env = await createTestEnv('versioning', { roles: [] });
  connection = await NativeConnection.connect({ address: harnessState().address });
});
afterAll(async () => {
  running.forEach(({ worker }) => worker.shutdown());
  await Promise.all(running.map(({ run }) => run));
  await connection?.close();
  await env?.teardown();
});

/** A one-level escalation path: its only level is waited on without end, until someone acknowledges. */
const waitingStack = (name: string): ResolvedStack =>
  env.stack(name, { ports: [19981], escalation: [{ name: 'on-call engineer', ackTimeoutSeconds: 60 }] });

const escalate = (stack: ResolvedStack, reason: string) =>
  env.start('escalation', { stack, trigger: 'cli', requestedBy: 'test', reason, severity: 'high' });

test('a running procedure finishes on the build that started it; new work and the stack owner go to the new current build', async () => {
  const v1 = await startBuild('v1');
  const v2 = await startBuild('v2');
  expect(v1).toEqual({ deploymentName: DEPLOYMENT, buildId: expect.stringMatching(/^\d+\.\d+\.\d+.*\+v1$/) });
  await waitForVersions(env.client, [v1, v2]);
  await setCurrentVersion(env.client, v1);
  expect(await currentBuildId(env.client, DEPLOYMENT)).toBe(v1.buildId);

  // On v1: a procedure that waits for a person, and the stack's owner.
  const before = waitingStack('versioned-old');
  const old = await escalate(before, 'started under v1');
  await waitForPending(old, 'ack', 'on-call engineer');
  const owner = await env.client.workflow.start('stackOwner', {
    taskQueue: env.taskQueue,
    workflowId: ownerWorkflowId(before.name),
    args: [{ stack: { name: before.name }, approvalTimeoutSeconds: 60 } satisfies StackOwnerInput],
  });
  try {
    await owner.query('__stack_trace'); // its first workflow task has run
    expect(await versioningOf(old)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_PINNED', buildId: v1.buildId });
    expect(await versioningOf(owner)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_AUTO_UPGRADE', buildId: v1.buildId });
    const oldTasksBefore = (await workflowTasks(old)).length;

    // The operator rolls out v2; v1's workers keep running.
    await setCurrentVersion(env.client, v2);
    expect(await currentBuildId(env.client, DEPLOYMENT)).toBe(v2.buildId);
    // v1 still has a pinned procedure open: the server reports it draining (DRAINED comes only once no
    // pinned run is open, after a grace period: 3 minutes by default).
    await waitFor(
      async () => ((await drainageStatus(env.client, v1)) === 'VERSION_DRAINAGE_STATUS_DRAINING' ? true : undefined),
      'v1 to be reported draining',
    );

    // A new request runs on v2.
    const fresh = await escalate(waitingStack('versioned-new'), 'started under v2');
    await waitForPending(fresh, 'ack', 'on-call engineer');
    expect(await versioningOf(fresh)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_PINNED', buildId: v2.buildId });

    // The old procedure is acknowledged after the switch and completes, still on v1.
    await old.executeUpdate(acknowledgeUpdate, { args: [{ by: 'alice' }] });
    expect(await old.result()).toMatchObject({ status: 'escalated', acknowledgedBy: 'alice' });
    const oldTasks = await workflowTasks(old);
    expect(oldTasks.length).toBeGreaterThan(oldTasksBefore);
    expect(oldTasks).toEqual(oldTasks.map(() => ({ buildId: v1.buildId, behavior: 'VERSIONING_BEHAVIOR_PINNED' })));

    await fresh.executeUpdate(acknowledgeUpdate, { args: [{ by: 'bob' }] });
    expect(await fresh.result()).toMatchObject({ status: 'escalated', acknowledgedBy: 'bob' });
    const freshTasks = await workflowTasks(fresh);
    expect(freshTasks).toEqual(freshTasks.map(() => ({ buildId: v2.buildId, behavior: 'VERSIONING_BEHAVIOR_PINNED' })));

    // The owner's next workflow task (an empty alert batch wakes it) runs on v2.
    await owner.signal(alertSignal, []);
    await owner.query('__stack_trace');
    const ownerTasks = await workflowTasks(owner);
    expect(ownerTasks.at(0)).toEqual({ buildId: v1.buildId, behavior: 'VERSIONING_BEHAVIOR_AUTO_UPGRADE' });
    expect(ownerTasks.at(-1)).toEqual({ buildId: v2.buildId, behavior: 'VERSIONING_BEHAVIOR_AUTO_UPGRADE' });
    expect(await versioningOf(owner)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_AUTO_UPGRADE', buildId: v2.buildId });
  } finally {
    await owner.terminate('versioning test done').catch(() => undefined);
  }
});
