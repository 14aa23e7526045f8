/** Recovery after a worker crash: from a new worker's start to the interrupted rollback moving on. */
import { temporal } from '@temporalio/proto';
import { startProcedure } from '../src/client/start-procedure';
import { removeFixtureStack } from '../src/fixtures/stack';
import { benchWorker } from './processes';
import { BenchEnv, benchStack, breakStacks, median, ms, now, recordGood, report } from './lib';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
const HEARTBEAT_SECONDS = 2;
const ROUNDS = 3;
const HOST = 'bench-crash';

export async function crashRecovery(env: BenchEnv): Promise<void> {
  const s = benchStack(env, 'crash', [18980, 18981], { activityHeartbeatSeconds: HEARTBEAT_SECONDS }, HOST);
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let worker = await benchWorker(HOST, HOST, 1500);
    await recordGood(env, [s], HOST);
    await breakStacks(env, [s]);
    const h = (
      await startProcedure(
        env.client,
        'quick-rollback',
        { stack: s, trigger: 'cli', reason: 'bench', requestedBy: 'bench' },
        { taskQueue: HOST },
      )
    ).handle;
    const pending = async () => (await h.describe()).raw.pendingActivities ?? [];
    while (!(await pending()).some((a) => a.activityType?.name === 'replaceWithRelease' && a.state === STARTED))
      await new Promise((r) => setTimeout(r, 20));
    worker.kill();
    const t0 = now();
    worker = await benchWorker(HOST, HOST);
    const ready = ms(t0);
    const t1 = now();
    // Moving on: the interrupted activity runs again (attempt 2) or the workflow has gone past it.
    for (;;) {
      const p = await pending();
      const stop = p.find((a) => a.activityType?.name === 'replaceWithRelease');
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
