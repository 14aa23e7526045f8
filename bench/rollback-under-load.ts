/**
 * Rollback under load: 4 clients send requests through nginx while a 4-service stack is rolled back, by
 * Lifeline's quick rollback (the gapless swap behind the ingress) and by the docker-CLI script (stop, start).
 * Counts requests sent and failed, and times the request to all services answering on the good release.
 */
import axios from 'axios';
import { Agent } from 'node:http';
import { startProcedure } from '../src/client/start-procedure';
import { removeFixtureStack, upNginx } from '../src/fixtures/stack';
import {
  alternate,
  answersOn,
  BenchEnv,
  benchStack,
  breakStacks,
  GOOD,
  median,
  ms,
  now,
  recordGood,
  report,
  scriptRollback,
} from './lib';

const PORTS = [18811, 18812, 18813, 18814];
const ALTERNATE = [18821, 18822, 18823, 18824];
const LISTEN = 18810;
const NGINX = 'bench-gapless-nginx';
const ROUNDS = 3;

/** 4 clients through the ingress until stopped; anything but a 200 is a failed request. */
function load() {
  const http = axios.create({ timeout: 5000, validateStatus: () => true, httpAgent: new Agent({ keepAlive: false }) });
  const counts = { sent: 0, failed: 0 };
  let running = true;
  const clients = Array.from({ length: 4 }, async () => {
    while (running) {
      const status = await http.get(`http://127.0.0.1:${LISTEN}/api/`).then(
        (r) => r.status,
        () => 0,
      );
      counts.sent++;
      if (status !== 200) counts.failed++;
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  return async () => {
    running = false;
    await Promise.all(clients);
    return counts;
  };
}

/** The ms from `act` until every service answers on the good release, on either of its ports. */
async function timeToGood(act: () => Promise<unknown>): Promise<number> {
  const t0 = now();
  const acting = act();
  await Promise.all(
    PORTS.map(async (port, i) => {
      while (!(await answersOn(port, GOOD)) && !(await answersOn(ALTERNATE[i], GOOD)))
        await new Promise((r) => setTimeout(r, 20));
    }),
  );
  const elapsed = ms(t0);
  await acting;
  return elapsed;
}

export async function rollbackUnderLoad(env: BenchEnv): Promise<void> {
  const services = Object.fromEntries(
    PORTS.map((p, i) => [`svc${i}`, { upstream: 'spacetime_backend', ports: [p, ALTERNATE[i]] }]),
  );
  const stack = benchStack(env, 'gl', PORTS, {}, env.host, {}, { ingress: { container: NGINX, services } });
  const runs = {
    lifeline: [] as { sent: number; failed: number; ms: number }[],
    script: [] as { sent: number; failed: number; ms: number }[],
  };
  const behindNginx = async () => {
    await breakStacks(env, [stack]);
    await upNginx(
      env.docker,
      NGINX,
      `127.0.0.1:${LISTEN}`,
      PORTS.map((p) => `127.0.0.1:${p}`),
    );
    for (
      let i = 0;
      i < 100 &&
      !(await axios.get(`http://127.0.0.1:${LISTEN}/api/`).then(
        () => true,
        () => false,
      ));
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
  };
  const lifelineRun = async () => {
    await recordGood(env, [stack]);
    await behindNginx();
    const stop = load();
    let done: Promise<unknown> | undefined;
    const t = await timeToGood(async () => {
      const { handle } = await startProcedure(
        env.client,
        'quick-rollback',
        { stack, trigger: 'cli', reason: 'bench', requestedBy: 'bench' },
        { taskQueue: env.taskQueue },
      );
      done = handle.result();
    });
    await done;
    runs.lifeline.push({ ...(await stop()), ms: t });
  };
  const scriptRun = async () => {
    await behindNginx();
    const stop = load();
    const t = await timeToGood(() => scriptRollback(stack, PORTS));
    runs.script.push({ ...(await stop()), ms: t });
  };
  await alternate(ROUNDS, lifelineRun, scriptRun);
  await removeFixtureStack(env.docker, stack);
  await env.docker
    .getContainer(NGINX)
    .remove({ force: true })
    .catch(() => undefined);
  const sum = (xs: { sent: number; failed: number }[], k: 'sent' | 'failed') => xs.reduce((a, x) => a + x[k], 0);
  const l = median(runs.lifeline.map((r) => r.ms));
  const b = median(runs.script.map((r) => r.ms));
  report(
    'rollback-under-load',
    [
      {
        subject: 'lifeline quick rollback (gapless, behind nginx)',
        requests: sum(runs.lifeline, 'sent'),
        failed: sum(runs.lifeline, 'failed'),
        medianMsToGood: Math.round(l),
      },
      {
        subject: 'docker-CLI script (stop, start)',
        requests: sum(runs.script, 'sent'),
        failed: sum(runs.script, 'failed'),
        medianMsToGood: Math.round(b),
      },
      {
        subject: 'time-to-good ratio (goal ≤ 1.3)',
        requests: '',
        failed: '',
        medianMsToGood: Number((l / b).toFixed(2)),
      },
    ],
    { rounds: ROUNDS, runs },
  );
}
