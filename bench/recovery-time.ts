/** Recovery time: Lifeline's quick rollback of a 4-service stack against a docker-CLI script doing the same. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startProcedure } from '../src/client/procedures';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { BenchEnv, benchStack, median, ms, now, report, ROOT, untilHealthy } from './lib';

const run = promisify(execFile);
const PORTS = [18801, 18802, 18803, 18804];
const ROUNDS = 7;

export async function recoveryTime(env: BenchEnv): Promise<void> {
  const stack = benchStack(env, 'rt', PORTS);
  const lifeline: number[] = [];
  const baseline: number[] = [];
  const breakdown = new Map<string, number[]>();
  const lifelineRun = async () => {
    await upFixtureStack(env.docker, stack, 'v2.4.9');
    await waitFixtureHealthy(env.docker, stack);
    const b = (
      await startProcedure(
        env.client,
        'backup',
        { stack, trigger: 'cli', reason: 'bench', requestedBy: 'bench', knownGood: true },
        { taskQueue: env.taskQueue },
      )
    ).handle;
    await b.result();
    await upFixtureStack(env.docker, stack, 'v2.5.0');
    const t0 = now();
    const h = (
      await startProcedure(
        env.client,
        'quick-rollback',
        { stack, trigger: 'cli', reason: 'bench', requestedBy: 'bench' },
        { taskQueue: env.taskQueue },
      )
    ).handle;
    await untilHealthy(env, stack, 'v2.4.9', PORTS);
    lifeline.push(ms(t0));
    await h.result();
    const history = await h.fetchHistory();
    const scheduledAt = new Map<string, { type: string; at: number }>();
    for (const e of history.events ?? []) {
      const at = Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
      if (e.activityTaskScheduledEventAttributes)
        scheduledAt.set(String(e.eventId), { type: e.activityTaskScheduledEventAttributes.activityType!.name!, at });
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const s = scheduledAt.get(String(done.scheduledEventId))!;
        breakdown.set(s.type, [...(breakdown.get(s.type) ?? []), at - s.at]);
      }
    }
  };
  const baselineRun = async () => {
    await upFixtureStack(env.docker, stack, 'v2.5.0');
    const t1 = now();
    await run(path.join(ROOT, 'bench/baseline-rollback.sh'), ['rt', 'v2.4.9', ...PORTS.map(String)]);
    baseline.push(ms(t1));
  };
  // ABAB...: the order alternates each round, so a drift of the machine weighs on both sides alike.
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      await lifelineRun();
      await baselineRun();
    } else {
      await baselineRun();
      await lifelineRun();
    }
  }
  await removeFixtureStack(env.docker, stack);
  const l = median(lifeline);
  const b = median(baseline);
  report(
    'recovery-time',
    [
      {
        subject: 'lifeline quick rollback (request → 4/4 healthy)',
        medianMs: Math.round(l),
        runs: lifeline.map(Math.round).join(' '),
      },
      {
        subject: 'baseline docker CLI script, 20 ms polling',
        medianMs: Math.round(b),
        runs: baseline.map(Math.round).join(' '),
      },
      { subject: 'ratio (target ≤ 1.15)', medianMs: Number((l / b).toFixed(2)), runs: '' },
      { subject: 'orchestration overhead', medianMs: Math.round(l - b), runs: '' },
    ],
    {
      activityMedianMs: Object.fromEntries([...breakdown].map(([k, v]) => [k, Math.round(median(v))])),
    },
  );
  console.log(
    'median time per activity (ms, scheduled → completed):',
    Object.fromEntries([...breakdown].map(([k, v]) => [k, Math.round(median(v))])),
  );
}
