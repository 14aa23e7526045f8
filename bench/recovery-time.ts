/** Recovery time: Lifeline's quick rollback of a 4-service stack against a docker-CLI script doing the same. */
import type { WorkflowHandle } from '@temporalio/client';
import { startProcedure } from '../src/client/start-procedure';
import { removeFixtureStack } from '../src/fixtures/stack';
import {
  ActivityTimes,
  alternate,
  BenchEnv,
  breakStacks,
  recordGood,
  benchStack,
  median,
  report,
  scriptRollback,
  timeToHealthy,
} from './lib';

const PORTS = [18801, 18802, 18803, 18804];
const ROUNDS = 7;
/** The observer's interval, as the script's own health polling. */
const POLL_MS = 20;

export async function recoveryTime(env: BenchEnv): Promise<void> {
  const stack = benchStack(env, 'rt', PORTS);
  const lifeline: number[] = [];
  const baseline: number[] = [];
  const activities = new ActivityTimes();
  const lifelineRun = async () => {
    await recordGood(env, [stack]);
    await breakStacks(env, [stack]);
    let h: WorkflowHandle | undefined;
    lifeline.push(
      await timeToHealthy(PORTS, POLL_MS, async () => {
        h = (
          await startProcedure(
            env.client,
            'quick-rollback',
            { stack, trigger: 'cli', reason: 'bench', requestedBy: 'bench' },
            { taskQueue: env.taskQueue },
          )
        ).handle;
      }),
    );
    await h!.result();
    await activities.add(h!);
  };
  const baselineRun = async () => {
    await breakStacks(env, [stack]);
    baseline.push(await timeToHealthy(PORTS, POLL_MS, () => scriptRollback(stack, PORTS)));
  };
  await alternate(ROUNDS, lifelineRun, baselineRun);
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
        subject: 'docker-CLI script (floor)',
        medianMs: Math.round(b),
        runs: baseline.map(Math.round).join(' '),
      },
      { subject: 'ratio (target ≤ 1.15)', medianMs: Number((l / b).toFixed(2)), runs: '' },
      { subject: 'orchestration overhead', medianMs: Math.round(l - b), runs: '' },
    ],
    { activityMedianMs: activities.medians() },
  );
  activities.print('quick rollback');
}
