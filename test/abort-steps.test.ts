/**
 * An end never leaves a stack worse than it found it: a quick rollback aborted at each of its steps, with
 * services that take their whole grace period to stop (they ignore SIGTERM) and activities slowed, ends
 * with every service running, all on one release: the one before when the swap had not begun, the target
 * once it had (a swap, once begun, finishes before the abort takes effect).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { fixtureContainer, removeFixtureStack, upFixtureStack } from '../src/fixtures/stack';
import { abortUpdate, progressQuery } from '../src/workflows/definitions';
import { SWAP_STEP } from '../src/workflows/steps/restore-release';
import { createTestEnv, TestEnv } from './harness/env';
import { recordGoodRelease } from './harness/releases';
import { waitFor } from './harness/waits';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('abortsteps', { chaosActivityDelayMs: 1000 });
});
afterAll(async () => {
  await env?.teardown();
});

const SLOW_STOP = { godot: ['SLOW_STOP=1'], api: ['SLOW_STOP=1'] };

/** Each step, and the release every service must run after an abort there. */
const STEPS: [step: string, after: 'v2.5.0' | 'v2.4.9'][] = [
  ['back up current state', 'v2.5.0'],
  [SWAP_STEP, 'v2.4.9'],
  ['wait for health', 'v2.4.9'],
  ['verify', 'v2.4.9'],
];

test.each(STEPS)('abort at "%s": every service runs afterwards, all on %s', async (step, after) => {
  const slug = `ab${STEPS.findIndex(([s]) => s === step)}`;
  const port = 16431 + STEPS.findIndex(([s]) => s === step) * 2;
  const stack = env.stack(slug, { ports: [port, port + 1] });
  try {
    await recordGoodRelease(env, stack, 'v2.4.9');
    await upFixtureStack(env.docker, stack, 'v2.5.0', SLOW_STOP);
    const h = await env.start('quick-rollback', {
      stack,
      trigger: 'cli',
      requestedBy: 'test',
      reason: 'v2.5.0 broken',
    });
    await waitFor(
      async () => ((await h.query(progressQuery)).step.startsWith(step) ? true : undefined),
      `the step "${step}"`,
      120_000,
    );
    await h.executeUpdate(abortUpdate, { args: [{ by: 'oncall', reason: 'doing it by hand' }] });
    const err = await h.result().then(
      () => undefined,
      (e: WorkflowFailedError) => e,
    );
    expect(err?.cause).toMatchObject({ type: 'Aborted' });
    // The report says what runs now.
    expect((await h.query(progressQuery)).timeline.at(-1)?.detail).toMatch(/Containers now: godot: .* running/);
    for (const s of stack.services) {
      const c = await env.docker.getContainer(fixtureContainer(stack, s)).inspect();
      expect({ service: s.name, running: c.State.Running, image: c.Config.Image }).toEqual({
        service: s.name,
        running: true,
        image: `lifeline-fixture/spacetime:${after}`,
      });
    }
  } finally {
    await removeFixtureStack(env.docker, stack);
  }
});
