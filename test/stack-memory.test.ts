/**
 * What a procedure learns outlives it, on the real server and engine: a denied breach keeps the stack held
 * against every entry point, and no quick rollback goes back to a state an earlier one left.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { readFile } from 'node:fs/promises';
import type { ReleaseSummary } from '../src/domain/release';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import { fixtureContainer, removeFixtureStack, upFixtureStack } from '../src/fixtures/stack';
import { ReleaseStore } from '../src/store/release-store';
import { ownerStartOptions } from '../src/client/start-procedure';
import {
  abortUpdate,
  alertSignal,
  denyUpdate,
  liftHoldUpdate,
  ownerStateQuery,
  progressQuery,
} from '../src/workflows/definitions';
import { lifeline } from './harness/cli';
import { createTestEnv, FAST_TIMEOUTS, harnessState, TestEnv } from './harness/env';
import { recordGoodRelease } from './harness/releases';
import { startRecorder } from './harness/recorder';
import { waitFor, waitForPending } from './harness/waits';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('memory');
});
afterAll(async () => {
  await env?.teardown();
});

const input = (stack: ReturnType<TestEnv['stack']>, reason: string) =>
  ({ stack, trigger: 'cli', requestedBy: 'test', reason }) as const;
const cli = (args: string[]) =>
  lifeline(args, {
    LIFELINE_CONFIG: env.configFile,
    TEMPORAL_ADDRESS: harnessState().address,
    LIFELINE_TASK_QUEUE: env.taskQueue,
  });
const runningTags = async (stack: ReturnType<TestEnv['stack']>) =>
  Promise.all(
    stack.services.map(async (s) => {
      const c = await env.docker.getContainer(fixtureContainer(stack, s)).inspect();
      return c.State.Running ? c.Config.Image.split(':')[1] : 'stopped';
    }),
  );

test('a denied breach holds the stack: an explicit release, a queued request and a critical alert start nothing', async () => {
  const chat = await startRecorder();
  const stack = env.stack('memheld', {
    ports: [16401, 16402],
    notifications: [{ kind: 'slack', url: `${chat.url}/hook` }],
  });
  try {
    const good = await recordGoodRelease(env, stack);
    await upFixtureStack(env.docker, stack, 'v2.5.0');
    const breach = await env.start('security-breach', input(stack, 'unknown SSH key'));
    await waitForPending(breach, 'approval', 'security team');
    await breach.executeUpdate(denyUpdate, { args: [{ by: 'sec', reason: 'forensics still running' }] });
    expect(await breach.result()).toMatchObject({ status: 'isolated' });
    expect(await runningTags(stack)).toEqual(['stopped', 'stopped']);
    const owner = env.client.workflow.getHandle(ownerWorkflowId('memheld'));
    await waitFor(async () => ((await owner.query(ownerStateQuery)).state === 'held' ? true : undefined), 'the hold');

    // An engineer's explicit, forced rollback through the CLI: refused, naming the hold and how it is lifted.
    const explicit = await cli(['rollback', 'memheld', '--release', good.id, '--force', '--reason', 'back to good']);
    expect(explicit.code).not.toBe(0);
    expect(explicit.stderr).toContain(`held since`);
    expect(explicit.stderr).toContain(breach.workflowId);
    expect(explicit.stderr).toContain('lifeline lift memheld --audience "security team"');
    // A queued request, as the API's whenBusy=queue.
    const queued = await env.request('quick-rollback', input(stack, 'queued'), { whenBusy: 'queue' });
    expect(queued.reply.outcome).toBe('held');
    // A critical alert, delivered as the API delivers it: told to people, nothing starts.
    await env.client.workflow.signalWithStart('stackOwner', {
      ...ownerStartOptions({ name: stack.name }, { taskQueue: env.taskQueue }),
      signal: alertSignal,
      signalArgs: [
        [
          {
            source: 'alertmanager',
            stack: stack.name,
            name: 'ApiDown',
            severity: 'critical',
            status: 'firing',
            fingerprint: 'memheld-apidown',
            startsAt: new Date().toISOString(),
            labels: { stack: stack.name },
          },
        ],
      ],
    });
    await waitFor(
      async () =>
        chat.requests.some((r) => /ApiDown.*no quick-rollback started.*is held/s.test(JSON.stringify(r.body)))
          ? true
          : undefined,
      'the alert to reach people',
    );
    const state = await owner.query(ownerStateQuery);
    expect(state.started).toEqual([expect.stringMatching(/^backup:/), breach.workflowId]);
    expect(await runningTags(stack)).toEqual(['stopped', 'stopped']);

    // The security team lifts it, with a reason, in the breach's incident report; that starts nothing.
    await owner.executeUpdate(liftHoldUpdate, {
      args: [{ by: 'sec-lead', audience: 'security team', reason: 'keys rotated, image rebuilt' }],
    });
    expect(await owner.query(ownerStateQuery)).toMatchObject({ state: 'free' });
    expect(await runningTags(stack)).toEqual(['stopped', 'stopped']);
    const report = await waitFor(async () => {
      const text = await readFile(
        `${env.dataDir}/incidents/memheld/${breach.workflowId.replace(/[^A-Za-z0-9_.-]/g, '_')}.md`,
        'utf8',
      );
      return text.includes('keys rotated') ? text : undefined;
    }, 'the lift in the report');
    expect(report).toContain('by sec-lead for the security team');
  } finally {
    await chat.close();
    await removeFixtureStack(env.docker, stack);
  }
});

test('backup, quick rollback, forced quick rollback: never back to the state it left, by any record of it', async () => {
  const stack = env.stack('memtwice', { ports: [16411, 16412] });
  try {
    const good = await recordGoodRelease(env, stack);
    await upFixtureStack(env.docker, stack, 'v2.5.0');
    const backup = (await (await env.start('backup', input(stack, 'before trying'))).result()) as {
      release: ReleaseSummary;
    };
    const first = await env.start('quick-rollback', input(stack, 'v2.5.0 broken'));
    expect(await first.result()).toMatchObject({ status: 'completed', toRelease: good.id });
    // Every record of the v2.5.0 state is known-bad now, the manual backup too.
    expect(await new ReleaseStore(env.dataDir).summary('memtwice', backup.release.id)).toMatchObject({
      knownBad: true,
    });

    const again = await env.request('quick-rollback', input(stack, 'again'), { force: true });
    const failure = await again.handle.result().then(
      () => undefined,
      (e: WorkflowFailedError) => e.cause,
    );
    expect(failure).toMatchObject({ type: 'NoRelease' });
    expect(failure?.message).toContain('nothing was changed');
    expect(await runningTags(stack)).toEqual(['v2.4.9', 'v2.4.9']);
  } finally {
    await removeFixtureStack(env.docker, stack);
  }
});

test('a rollback aborted in its verification window leaves the state it left marked: the next quick rollback skips it', async () => {
  // A verification window long enough that the abort always lands inside it, on a loaded machine too.
  const stack = env.stack('memabort', {
    ports: [16421, 16422],
    config: { timeouts: { ...FAST_TIMEOUTS, monitorSeconds: 30 } },
  });
  try {
    const good = await recordGoodRelease(env, stack);
    await upFixtureStack(env.docker, stack, 'v2.5.0');
    const first = await env.start('quick-rollback', input(stack, 'v2.5.0 broken'));
    await waitFor(
      async () => ((await first.query(progressQuery)).step === 'verify' ? true : undefined),
      'verification',
    );
    await first.executeUpdate(abortUpdate, { args: [{ by: 'oncall', reason: 'checking by hand' }] });
    await expect(first.result()).rejects.toMatchObject({ cause: { type: 'Aborted' } });
    const list = await new ReleaseStore(env.dataDir).list('memabort');
    const left = list.find((r) => r.imageTags.godot === 'v2.5.0');
    expect(left).toMatchObject({ rolledBackFrom: true, knownBad: false });
    expect(list.find((r) => r.id === good.id)?.knownGood).toBe(true);

    const again = await env.request('quick-rollback', input(stack, 'again'));
    const failure = await again.handle.result().then(
      () => undefined,
      (e: WorkflowFailedError) => e.cause,
    );
    // v2.4.9 runs (not a candidate: it is the running state); v2.5.0 was left: nothing to roll back to.
    expect(failure).toMatchObject({ type: 'NoRelease' });
    expect(await runningTags(stack)).toEqual(['v2.4.9', 'v2.4.9']);
  } finally {
    await removeFixtureStack(env.docker, stack);
  }
});
