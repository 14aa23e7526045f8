/**
 * Concurrency: 20 stacks rolled back at once, requested through the API process and run by one worker
 * process, against the same 20 rollbacks done at once by the docker-CLI script (the floor), rounds alternating
 * which goes first. "All healthy" is the comparable figure; "all verified" adds Lifeline's verification and
 * is reported apart. The worker's and the API's resident memory are sampled at idle and through the run.
 */
import type { WorkflowHandle } from '@temporalio/client';
import axios from 'axios';
import { removeFixtureStack } from '../src/fixtures/stack';
import type { ResolvedStack } from '../src/domain/config';
import { ownerStateQuery } from '../src/workflows/definitions';
import { CpuMeter } from './cpu';
import { API_TOKEN, ApiProcess, benchApi, benchWorker, PeakRss, rssMb } from './processes';
import {
  ActivityTimes,
  alternate,
  BenchEnv,
  benchStack,
  breakStacks,
  median,
  ms,
  now,
  recordGood,
  report,
  scriptRollback,
  timeToHealthy,
} from './lib';

const STACKS = 20;
const ROUNDS = 7;
/** The observer's interval: 40 services polled at once, both sides alike. */
const POLL_MS = 100;
const HOST = 'bench-cc';
const API_PORT = 18899;
const portsOf = (i: number) => [18900 + 2 * i, 18901 + 2 * i];

/** Lifeline: all 20 requested at once through the API; when all are healthy, and when all are verified. */
async function lifelineRound(
  env: BenchEnv,
  api: ApiProcess,
  stacks: ResolvedStack[],
  activities: ActivityTimes,
  cpu: CpuMeter,
): Promise<{ healthy: number; verified: number }> {
  await recordGood(env, stacks, HOST);
  await breakStacks(env, stacks);
  let started: WorkflowHandle[] = [];
  let retried = 0;
  const t0 = now();
  const { healthy, verified } = await cpu.measure(async () => {
    const toHealthy = await timeToHealthy(
      stacks.flatMap((_, i) => portsOf(i)),
      POLL_MS,
      async () => {
        started = await Promise.all(
          stacks.map(async (s) => {
            // As a careful caller does: a 503 (the API's 5 s deadline passed under this load) is retried with
            // the same Idempotency-Key, which joins the rollback the first request may have started.
            const key = `bench-${s.name}-${Date.now()}`;
            for (;;) {
              const r = await axios.post(
                `${api.url}/v1/rollbacks`,
                { stack: s.name, reason: 'bench', requestedBy: 'bench' },
                {
                  headers: { authorization: `Bearer ${API_TOKEN}`, 'idempotency-key': key },
                  validateStatus: () => true,
                },
              );
              if (r.status === 202) return env.client.workflow.getHandle(r.data.workflowId as string);
              if (r.status !== 503) throw new Error(`rollback of ${s.name}: ${r.status} ${JSON.stringify(r.data)}`);
              retried++;
            }
          }),
        );
      },
    );
    await Promise.all(started.map((h) => h.result()));
    return { healthy: toHealthy, verified: ms(t0) };
  });
  for (const h of started) await activities.add(h);
  if (retried) console.log(`${retried} rollback request(s) answered 503 and retried`);
  return { healthy, verified };
}

export async function concurrency(env: BenchEnv): Promise<void> {
  const stacks = Array.from({ length: STACKS }, (_, i) => benchStack(env, `cc${i}`, portsOf(i), {}, HOST));
  const worker = await benchWorker(HOST, HOST);
  const api = await benchApi(API_PORT, HOST);
  const pids = { worker: worker.child.pid!, api: api.pid };
  const healthy: number[] = [];
  const verified: number[] = [];
  const floor: number[] = [];
  const activities = new ActivityTimes();
  let peak: PeakRss | undefined;
  let idle: Record<string, number> = {};
  const cpu = {
    lifeline: new CpuMeter({ 'worker process': pids.worker, 'API process': pids.api }),
    floor: new CpuMeter(),
  };
  try {
    // Idle: started, connected, nothing asked of them yet.
    await new Promise((r) => setTimeout(r, 2000));
    idle = { worker: rssMb(pids.worker), api: rssMb(pids.api) };
    peak = new PeakRss(Object.values(pids));
    await alternate(
      ROUNDS,
      async () => {
        const r = await lifelineRound(env, api, stacks, activities, cpu.lifeline);
        healthy.push(r.healthy);
        verified.push(r.verified);
      },
      async () => {
        await breakStacks(env, stacks);
        const all = stacks.flatMap((_, i) => portsOf(i));
        floor.push(
          await cpu.floor.measure(() =>
            timeToHealthy(all, POLL_MS, () => Promise.all(stacks.map((s, i) => scriptRollback(s, portsOf(i))))),
          ),
        );
      },
    );
    // Each stack's owner took one rollback per round: nothing was lost or doubled.
    for (const s of stacks) {
      const state = await env.client.workflow.getHandle(`stack:${s.name}`).query(ownerStateQuery);
      if (state.running) throw new Error(`stack ${s.name} still has ${state.running.workflowId} running`);
    }
  } finally {
    peak?.stop();
    await api.stop();
    await worker.stop();
    await Promise.all(stacks.map((s) => removeFixtureStack(env.docker, s)));
  }
  const [h, v, f] = [median(healthy), median(verified), median(floor)];
  const cpuPerRound = { lifeline: cpu.lifeline.perRound(ROUNDS), floor: cpu.floor.perRound(ROUNDS) };
  const rss = (who: 'worker' | 'api') => `${Math.round(idle[who])} → ${Math.round(peak!.peak.get(pids[who])!)}`;
  report(
    'concurrency',
    [
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
      { subject: 'worker process RSS MB, idle → peak (target ≤ 300)', ms: rss('worker'), runs: '' },
      { subject: 'API process RSS MB, idle → peak (target ≤ 300)', ms: rss('api'), runs: '' },
    ],
    { activityMedianMs: activities.medians(), cpuSecondsPerRound: cpuPerRound },
  );
  activities.print(`${STACKS} quick rollbacks at once`);
  console.log('CPU seconds per round (Lifeline until all verified; floor until all healthy):', cpuPerRound);
}
