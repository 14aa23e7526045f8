/** Concurrency: 20 stacks rolled back at once on one worker, against one alone. */
import { startProcedure } from '../src/client/procedures';
import type { ResolvedStack } from '../src/domain/config';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { BenchEnv, benchStack, ms, now, report } from './lib';

const STACKS = 20;

async function prepare(env: BenchEnv, stacks: ResolvedStack[]): Promise<void> {
  await Promise.all(stacks.map((s) => upFixtureStack(env.docker, s, 'v2.4.9')));
  await Promise.all(stacks.map((s) => waitFixtureHealthy(env.docker, s, 60_000)));
  await Promise.all(
    stacks.map(async (s) =>
      (
        await startProcedure(
          env.client,
          'backup',
          { stack: s, trigger: 'cli', reason: 'bench', requestedBy: 'bench', knownGood: true },
          { taskQueue: env.taskQueue },
        )
      ).handle.result(),
    ),
  );
  await Promise.all(stacks.map((s) => upFixtureStack(env.docker, s, 'v2.5.0')));
}

const rollBack = async (env: BenchEnv, s: ResolvedStack) =>
  (
    await startProcedure(
      env.client,
      'quick-rollback',
      { stack: s, trigger: 'cli', reason: 'bench', requestedBy: 'bench' },
      { taskQueue: env.taskQueue },
    )
  ).handle.result();

export async function concurrency(env: BenchEnv): Promise<void> {
  const stacks = Array.from({ length: STACKS }, (_, i) => benchStack(env, `cc${i}`, [18900 + 2 * i, 18901 + 2 * i]));
  await prepare(env, [stacks[0]]);
  const t0 = now();
  await rollBack(env, stacks[0]);
  const single = ms(t0);

  await prepare(env, stacks);
  const t1 = now();
  await Promise.all(stacks.map((s) => rollBack(env, s)));
  const all = ms(t1);
  await Promise.all(stacks.map((s) => removeFixtureStack(env.docker, s)));
  report('concurrency', [
    { subject: '1 stack (2 services), request → verified', ms: Math.round(single) },
    { subject: `${STACKS} stacks at once (${STACKS * 2} containers), all verified`, ms: Math.round(all) },
    { subject: 'ratio (target ≤ 3)', ms: Number((all / single).toFixed(2)) },
  ]);
}
