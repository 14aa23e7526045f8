/**
 * Concurrency: 20 stacks rolled back at once on one worker, against the same 20 rollbacks done at once by
 * the docker-CLI script (the floor), rounds alternating which goes first. "All healthy" is the comparable
 * figure; "all verified" adds Lifeline's verification (smoke tests, monitoring window) and is reported apart.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startProcedure } from '../src/client/procedures';
import type { ResolvedStack } from '../src/domain/config';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { BenchEnv, benchStack, median, ms, now, report, ROOT, untilHealthy } from './lib';

const run = promisify(execFile);
const STACKS = 20;
const ROUNDS = 7;
const portsOf = (i: number) => [18900 + 2 * i, 18901 + 2 * i];

async function recordGood(env: BenchEnv, stacks: ResolvedStack[]): Promise<void> {
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
}

const breakAll = (env: BenchEnv, stacks: ResolvedStack[]) =>
  Promise.all(stacks.map((s) => upFixtureStack(env.docker, s, 'v2.5.0')));

/** Lifeline: all 20 requested at once; when all are healthy, and when all are verified. */
async function lifelineRound(env: BenchEnv, stacks: ResolvedStack[]): Promise<{ healthy: number; verified: number }> {
  await recordGood(env, stacks);
  await breakAll(env, stacks);
  const t0 = now();
  const results = Promise.all(
    stacks.map(async (s) =>
      (
        await startProcedure(
          env.client,
          'quick-rollback',
          { stack: s, trigger: 'cli', reason: 'bench', requestedBy: 'bench' },
          { taskQueue: env.taskQueue },
        )
      ).handle.result(),
    ),
  );
  await Promise.all(stacks.map((s, i) => untilHealthy(env, s, 'v2.4.9', portsOf(i))));
  const healthy = ms(t0);
  await results;
  return { healthy, verified: ms(t0) };
}

/** The floor: the docker-CLI script for all 20 stacks at once. */
async function floorRound(env: BenchEnv, stacks: ResolvedStack[]): Promise<number> {
  await breakAll(env, stacks);
  const t0 = now();
  await Promise.all(
    stacks.map((s, i) =>
      run(path.join(ROOT, 'bench/baseline-rollback.sh'), [s.name, 'v2.4.9', ...portsOf(i).map(String)]),
    ),
  );
  return ms(t0);
}

export async function concurrency(env: BenchEnv): Promise<void> {
  const stacks = Array.from({ length: STACKS }, (_, i) => benchStack(env, `cc${i}`, portsOf(i)));
  const healthy: number[] = [];
  const verified: number[] = [];
  const floor: number[] = [];
  let peakRssMb = 0;
  const sampler = setInterval(() => (peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 2 ** 20)), 100);
  const idleRssMb = process.memoryUsage().rss / 2 ** 20;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const lifeline = async () => {
        const r = await lifelineRound(env, stacks);
        healthy.push(r.healthy);
        verified.push(r.verified);
      };
      const script = async () => floor.push(await floorRound(env, stacks));
      if (round % 2 === 0) {
        await lifeline();
        await script();
      } else {
        await script();
        await lifeline();
      }
    }
  } finally {
    clearInterval(sampler);
    await Promise.all(stacks.map((s) => removeFixtureStack(env.docker, s)));
  }
  const [h, v, f] = [median(healthy), median(verified), median(floor)];
  report('concurrency', [
    {
      subject: `${STACKS} stacks × 2 services at once, request → all healthy (median of ${ROUNDS})`,
      ms: Math.round(h),
      runs: healthy.map(Math.round).join(' '),
    },
    {
      subject: `docker-CLI script, the same ${STACKS} rollbacks at once (floor)`,
      ms: Math.round(f),
      runs: floor.map(Math.round).join(' '),
    },
    { subject: 'ratio all healthy / floor (target ≤ 1.5)', ms: Number((h / f).toFixed(2)), runs: '' },
    {
      subject: `${STACKS} stacks, request → all verified (smoke tests, window 0 s)`,
      ms: Math.round(v),
      runs: verified.map(Math.round).join(' '),
    },
    { subject: 'what verification adds', ms: Math.round(v - h), runs: '' },
    {
      subject: 'bench process (client + workers) RSS MB, idle → peak',
      ms: `${Math.round(idleRssMb)} → ${Math.round(peakRssMb)}`,
      runs: '',
    },
  ]);
}
