/**
 * Runbook "Method 6: Blue-Green Rollback". The runbook's script stops green first; Lifeline switches first,
 * so no request meets a stopped backend: blue running and healthy → nginx upstream pointed at blue and
 * reloaded → nginx's old workers drained → green stopped (configurable; never removed) → verify, counting
 * only what happened after the switch. Green is kept for a fast re-switch.
 */
import { patched } from '@temporalio/workflow';
import type { ProcedureInput } from '../domain/procedure';
import { hostActivities, longHostActivities } from './activities';
import { runOwned, rethrowIfStopped } from './steps/owned';
import { Procedure } from './procedure';
import { announceAndTick } from './steps/announce';
import {
  completeRollback,
  escalateFailedRollback,
  messageOf,
  verificationFailure,
  RollbackResult,
  verify,
} from './steps/finish-rollback';

/** Histories recorded before it stopped green first. */
const SWITCH_FIRST_PATCH = 'blue-green-switch-first';

export async function blueGreenRollback(input: ProcedureInput): Promise<RollbackResult> {
  const p: Procedure = new Procedure('blue-green-rollback', input.stack.name);
  return runOwned(p, input, { handOver: 'rollback-failed' }, () => blueGreenRollbackSteps(p, input));
}

async function blueGreenRollbackSteps(p: Procedure, input: ProcedureInput): Promise<RollbackResult> {
  const { stack } = input;
  const bg = stack.blueGreen;
  if (!bg) p.fail(`stack ${stack.name} has no blueGreen section in its config`, 'BadInput');
  const docker = hostActivities(stack);
  let sinceUnix = Math.floor(Date.now() / 1000);
  p.tick('Incident logged', 'done', input.reason);
  await announceAndTick(
    p,
    'Stakeholders notified',
    stack,
    'started',
    `${input.reason}: switching traffic back to blue`,
  );
  p.tick('Backup of current state created', 'skipped', 'nothing is removed: green is only stopped');
  p.setReleases(bg.green.project, bg.blue.project);
  p.tick('Rollback version identified', 'done', `blue (${bg.blue.project})`);

  const blue = await docker.containersOfProject(stack, 'blue');
  if (blue.length === 0)
    p.fail(`blue environment ${bg.blue.project} has no containers; nothing to switch back to`, 'NoBlueEnvironment');
  const green = await docker.containersOfProject(stack, 'green');
  const switchFirst = patched(SWITCH_FIRST_PATCH);
  const stopGreen = () =>
    p.step('stop green environment', () =>
      docker.stopContainers(
        green.map((c) => c.name),
        stack.timeouts.stopGraceSeconds,
      ),
    );
  p.markChanged();
  if (!switchFirst) {
    await stopGreen();
    p.tick('Rollback initiated');
  }
  try {
    await p.step('ensure blue is running', () => docker.startContainers(blue.map((c) => c.name)));
    if (switchFirst) p.tick('Rollback initiated');
    const health = await p.step('wait for blue health', () =>
      longHostActivities(stack, stack.timeouts.healthWaitSeconds).waitForStackHealthy(stack, {
        environment: 'blue',
        timeoutSeconds: stack.timeouts.healthWaitSeconds,
        stableSeconds: stack.timeouts.healthStableSeconds,
      }),
    );
    p.tick('Services restarted', 'done', `${health.healthy}/${health.total} blue services healthy`);
    // The activity returns once nginx's old workers have exited: no request is still on its way to green.
    await p.step('point nginx upstream to blue and reload', () => docker.switchNginxUpstream(stack));
    if (switchFirst) {
      // Verification judges what happens from the next whole second on, not the switch's own transition.
      sinceUnix = Math.ceil(Date.now() / 1000);
      if (bg.stopGreen) await stopGreen();
      else p.record('green left running', 'blueGreen.stopGreen is false: kept for an instant re-switch');
    }
    p.tick('Progress monitored');
  } catch (err) {
    rethrowIfStopped(p, err);
    p.tick('No errors during rollback', 'failed', messageOf(err));
    return escalateFailedRollback(p, input, `blue-green switch-back failed: ${messageOf(err)}`, []);
  }
  p.tick('No errors during rollback');
  const verification = await verify(p, input, sinceUnix);
  if (!verification.passed) return escalateFailedRollback(p, input, verificationFailure(verification), []);
  return completeRollback(p, input, verification, { label: `blue (${bg.blue.project})` }, sinceUnix);
}
