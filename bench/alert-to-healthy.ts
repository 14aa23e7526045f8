/**
 * Alert to healthy: a critical alert posted to the API process as Alertmanager posts it, through triage and the
 * stack's owner, until 4/4 services answer on the good release; against the docker-CLI script (the floor),
 * rounds alternating which goes first.
 */
import axios from 'axios';
import { removeFixtureStack } from '../src/fixtures/stack';
import { ownerStateQuery } from '../src/workflows/definitions';
import { rollbacksOf } from '../test/harness/owner';
import { API_TOKEN, benchApi } from './processes';
import {
  ActivityTimes,
  alertmanagerWebhook,
  alternate,
  BenchEnv,
  benchStack,
  breakStacks,
  median,
  recordGood,
  report,
  scriptRollback,
  timeToHealthy,
} from './lib';

const PORTS = [18811, 18812, 18813, 18814];
const API_PORT = 18810;
const ROUNDS = 7;
const POLL_MS = 20;
const ALERT = 'ErrorRateAbove10Percent';

export async function alertToHealthy(env: BenchEnv): Promise<void> {
  const stack = benchStack(env, 'ath', PORTS);
  const api = await benchApi(API_PORT, env.taskQueue);
  const owner = env.client.workflow.getHandle(`stack:${stack.name}`);
  const post = (fingerprint: string, status: 'firing' | 'resolved') =>
    axios.post(
      `${api.url}/v1/alerts/alertmanager`,
      alertmanagerWebhook(stack.name, ALERT, fingerprint, 'critical', status),
      { headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' } },
    );
  const lifeline: number[] = [];
  const floor: number[] = [];
  const activities = new ActivityTimes();
  let round = 0;
  try {
    await alternate(
      ROUNDS,
      async () => {
        await recordGood(env, [stack]);
        await breakStacks(env, [stack]);
        const fingerprint = `ath-${round++}`;
        const before = rollbacksOf(await owner.query(ownerStateQuery)).at(-1);
        lifeline.push(await timeToHealthy(PORTS, POLL_MS, () => post(fingerprint, 'firing')));
        // The rollback triage started ends (verified); then the alert resolves, as Alertmanager would say.
        let state = await owner.query(ownerStateQuery);
        while (rollbacksOf(state).at(-1) === before || state.running) {
          await new Promise((r) => setTimeout(r, 50));
          state = await owner.query(ownerStateQuery);
        }
        const rollback = env.client.workflow.getHandle(rollbacksOf(state).at(-1)!);
        await rollback.result();
        await activities.add(rollback);
        await post(fingerprint, 'resolved');
      },
      async () => {
        await breakStacks(env, [stack]);
        floor.push(await timeToHealthy(PORTS, POLL_MS, () => scriptRollback(stack, PORTS)));
      },
    );
  } finally {
    await api.stop();
    await removeFixtureStack(env.docker, stack);
  }
  const [l, f] = [median(lifeline), median(floor)];
  report(
    'alert-to-healthy',
    [
      {
        subject: `critical alert posted (Alertmanager webhook) → triage → 4/4 healthy (median of ${ROUNDS})`,
        medianMs: Math.round(l),
        runs: lifeline.map(Math.round).join(' '),
      },
      { subject: 'docker-CLI script (floor)', medianMs: Math.round(f), runs: floor.map(Math.round).join(' ') },
      { subject: 'ratio (target ≤ 1.3)', medianMs: Number((l / f).toFixed(2)), runs: '' },
    ],
    { activityMedianMs: activities.medians() },
  );
  activities.print('quick rollback started by triage');
}
