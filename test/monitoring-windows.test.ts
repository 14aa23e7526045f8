/**
 * Failures that appear inside a monitoring window, each leading to the runbook's next step: inside the
 * verification window the rollback fails and hands over to rollback-failed; inside the post-rollback
 * window the escalation path is paged and the report says what was seen.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { fixtureContainer, upFixtureStack } from '../src/fixtures/stack';
import type { ResolvedStack } from '../src/domain/config';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import { acknowledgeUpdate, monitoringWindowQuery, ownerStateQuery } from '../src/workflows/definitions';
import type { PostRollbackResult } from '../src/workflows/post-rollback-actions';
import type { RollbackResult } from '../src/workflows/steps/finish-rollback';
import { recordGoodRelease } from './harness/releases';
import { createTestEnv, FAST_TIMEOUTS, TestEnv } from './harness/env';
import { abortAndWait, followUp } from './harness/owner';
import { waitFor, waitForPending } from './harness/waits';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('windows');
});
afterAll(async () => {
  await env?.teardown();
});

/** Waits until `handle` (or, with `child`, its running child) is inside a monitoring window, then makes godot unhealthy. */
async function failInsideWindow(stack: ResolvedStack, handle: WorkflowHandle, child: boolean): Promise<void> {
  await waitFor(
    async () => {
      const ids = child
        ? ((await handle.describe()).raw.pendingChildren ?? []).map((c) => c.workflowId!)
        : [handle.workflowId];
      for (const id of ids)
        if (
          await env.client.workflow
            .getHandle(id)
            .query(monitoringWindowQuery)
            .catch(() => undefined)
        )
          return true;
      return undefined;
    },
    'the monitoring window',
    60_000,
  );
  const exec = await env.docker
    .getContainer(fixtureContainer(stack, stack.services[0]))
    .exec({ Cmd: ['/bin/touch', '/tmp/force-unhealthy'] });
  await exec.start({});
}

test('a failure inside the verification window fails the rollback, which hands over to rollback-failed', async () => {
  const stack = env.stack('inverify', {
    ports: [16131, 16132],
    services: ['godot', 'api'],
    config: { timeouts: { ...FAST_TIMEOUTS, monitorSeconds: 8, monitorIntervalSeconds: 1 } },
  });
  await recordGoodRelease(env, stack);
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  const h = await env.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'bad deploy' });
  await failInsideWindow(stack, h, true);
  const err = await h.result().then(
    () => undefined,
    (e: { cause?: { message?: string } }) => e,
  );
  expect(err?.cause?.message).toMatch(
    /verification failed: monitor sample \d+ \(godot ready\).*emergency procedure emergency:rollback-failed:inverify:\S+ takes over/,
  );
  const owner = env.client.workflow.getHandle(ownerWorkflowId('inverify'));
  const next = await waitFor(
    async () => (await owner.query(ownerStateQuery)).running?.workflowId,
    'rollback-failed to take over',
  );
  expect(next).toMatch(/^emergency:rollback-failed:inverify:/);
  await abortAndWait(await followUp(env.client, next));
});

test('a failure inside the post-rollback window pages the escalation path and goes into the report', async () => {
  const stack = env.stack('inpost', {
    ports: [16133, 16134],
    services: ['godot', 'api'],
    escalation: [{ name: 'on-call engineer', ackTimeoutSeconds: 600 }],
    config: { timeouts: { ...FAST_TIMEOUTS, postRollbackMonitorSeconds: 8, monitorIntervalSeconds: 1 } },
  });
  const good = await recordGoodRelease(env, stack);
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  const h = await env.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'bad deploy' });
  const r = (await h.result()) as RollbackResult;
  expect(r).toMatchObject({ status: 'completed', toRelease: good.id });
  const post = env.client.workflow.getHandle(r.postActionsWorkflowId);
  await failInsideWindow(stack, post, false);
  await waitForPending(post, 'ack', 'on-call engineer');
  await post.executeUpdate(acknowledgeUpdate, { args: [{ by: 'oncall', reason: 'looking' }] });
  const result = (await post.result()) as PostRollbackResult;
  expect(result.monitorFailures.some((f) => f.startsWith('godot'))).toBe(true);
  expect(result.escalated).toMatchObject({ status: 'escalated', acknowledgedBy: 'oncall' });
  expect(readFileSync(result.reportPath, 'utf8')).toMatch(
    /- Outcome: rolled back and verified; post-rollback monitoring saw: godot/,
  );
});
