/**
 * The Web UI's Cancel (a workflow cancellation request): the current step is interrupted, the containers'
 * state is reported and announced, the procedure ends `cancelled`, nothing is marked and nothing follows.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ReleaseStore } from '../src/store/release-store';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import { removeFixtureStack, upFixtureStack } from '../src/fixtures/stack';
import { ownerStateQuery, progressQuery } from '../src/workflows/definitions';
import { SWAP_STEP } from '../src/workflows/steps/restore-release';
import { createTestEnv, TestEnv } from './harness/env';
import { recordGoodRelease } from './harness/releases';
import { rollbacksOf } from './harness/owner';
import { startRecorder } from './harness/recorder';
import { waitFor } from './harness/waits';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('cancel', { chaosActivityDelayMs: 1500 });
});
afterAll(async () => {
  await env?.teardown();
});

test('cancel during the stop: cancelled, announced, state reported, nothing marked, no rollback-failed', async () => {
  const slack = await startRecorder();
  const stack = env.stack('cancelstack', {
    ports: [16141, 16142],
    notifications: [{ kind: 'slack', url: `${slack.url}/hook` }],
  });
  try {
    await recordGoodRelease(env, stack);
    await upFixtureStack(env.docker, stack, 'v2.5.0');
    const h = await env.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'to cancel' });
    await waitFor(
      async () => ((await h.query(progressQuery)).step === SWAP_STEP ? true : undefined),
      'the swap step',
      60_000,
    );
    await h.cancel();
    const err = await h.result().then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((await h.describe()).status.name).toBe('CANCELLED');
    const p = await h.query(progressQuery);
    expect(p.status).toBe('cancelled');
    expect(p.timeline.at(-1)?.detail).toMatch(
      /^cancelled at "stop current version, start target version"; it had changed the stack \(from \S+ to \S+\), its last step let finish\. Containers now: godot: \S+:v2\.4\.9 .*running/,
    );
    expect((await new ReleaseStore(env.dataDir).list('cancelstack')).filter((r) => r.knownBad)).toEqual([]);
    const owner = await env.client.workflow.getHandle(ownerWorkflowId('cancelstack')).query(ownerStateQuery);
    expect(owner.running).toBeUndefined();
    expect(rollbacksOf(owner)).toEqual([h.workflowId]);
    await waitFor(
      async () =>
        slack.requests.some((r) => JSON.stringify(r.body).includes('quick-rollback cancelled for cancelstack'))
          ? true
          : undefined,
      'the cancel announcement',
    );
  } finally {
    await slack.close();
    await removeFixtureStack(env.docker, stack);
  }
});
