/** Recovery after a worker crash: from a new worker's start to the interrupted rollback moving on. */
import { temporal } from '@temporalio/proto';
import { startProcedure } from '../src/client/procedures';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { spawnWorker } from '../test/harness/worker-process';
import { ADDRESS, BENCH_CONFIG_FILE, BenchEnv, benchStack, median, ms, now, report, BUNDLE_FILE } from './lib';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
const HEARTBEAT_SECONDS = 2;
const ROUNDS = 3;

export async function crashRecovery(env: BenchEnv): Promise<void> {
  const s = benchStack(env, 'crash', [18980, 18981], { activityHeartbeatSeconds: HEARTBEAT_SECONDS }, 'bench-crash');
  const taskQueue = 'bench-crash';
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let worker = await spawnWorker({
      host: 'bench-crash',
      taskQueue,
      configFile: BENCH_CONFIG_FILE,
      address: ADDRESS,
      bundle: BUNDLE_FILE,
      chaosDelayMs: 1500,
    });
    await upFixtureStack(env.docker, s, 'v2.4.9');
    await waitFixtureHealthy(env.docker, s);
    await (
      await startProcedure(
        env.client,
        'backup',
        { stack: s, trigger: 'cli', reason: 'bench', requestedBy: 'bench', knownGood: true },
        { taskQueue },
      )
    ).handle.result();
    await upFixtureStack(env.docker, s, 'v2.5.0');
    const h = (
      await startProcedure(
        env.client,
        'quick-rollback',
        { stack: s, trigger: 'cli', reason: 'bench', requestedBy: 'bench' },
        { taskQueue },
      )
    ).handle;
    const pending = async () => (await h.describe()).raw.pendingActivities ?? [];
    while (!(await pending()).some((a) => a.activityType?.name === 'stopContainers' && a.state === STARTED))
      await new Promise((r) => setTimeout(r, 20));
    worker.kill();
    const t0 = now();
    worker = await spawnWorker({
      host: 'bench-crash',
      taskQueue,
      configFile: BENCH_CONFIG_FILE,
      address: ADDRESS,
      bundle: BUNDLE_FILE,
    });
    const ready = ms(t0);
    const t1 = now();
    // Moving on: the interrupted activity runs again (attempt 2) or the workflow has gone past it.
    for (;;) {
      const p = await pending();
      const stop = p.find((a) => a.activityType?.name === 'stopContainers');
      if (!stop || ((stop.attempt ?? 1) > 1 && stop.state === STARTED)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    times.push(ms(t1));
    await h.result();
    await worker.stop();
    console.log(
      `round ${round}: new worker ready in ${Math.round(ready)} ms, rollback moving again ${Math.round(times[round])} ms later`,
    );
  }
  await removeFixtureStack(env.docker, s);
  report('crash-recovery', [
    {
      measure: 'new worker start → interrupted rollback moving on (median)',
      ms: Math.round(median(times)),
      runs: times.map(Math.round).join(' '),
    },
    {
      measure: `target: ≤ heartbeat timeout (${HEARTBEAT_SECONDS} s) + 1 s`,
      ms: HEARTBEAT_SECONDS * 1000 + 1000,
      runs: '',
    },
  ]);
}
