/**
 * Runbook "Method 6: Blue-Green Rollback". The runbook's script stops green first; Lifeline switches first,
 * so no request meets a stopped backend: blue running and healthy → nginx upstream pointed at blue and
 * reloaded → nginx's old workers drained → green stopped (configurable; never removed) → verify, counting
 * only what happened after the switch. Green is kept for a fast re-switch.
 */
import type { ProcedureInput } from '../domain/procedure-types';
import { hostActivities, longHostActivities } from './activities';
import { runOwned } from './steps/owned';
import { Procedure } from './procedure-state';
import { openIncident } from './steps/announce';
import { completeRollback, RollbackResult } from './steps/finish-rollback';
import { restoreAndVerify } from './steps/restore-and-verify';

export async function blueGreenRollback(input: ProcedureInput): Promise<RollbackResult> {
  const p: Procedure = new Procedure('blue-green-rollback', input.stack.name);
  return runOwned(p, input, { handOver: 'rollback-failed' }, () => blueGreenRollbackSteps(p, input));
}

async function blueGreenRollbackSteps(p: Procedure, input: ProcedureInput): Promise<RollbackResult> {
  const { stack } = input;
  const bg = stack.blueGreen;
  if (!bg) p.fail(`stack ${stack.name} has no blueGreen section in its config`, 'BadInput');
  const docker = hostActivities(stack);
  const sinceUnix = Math.floor(Date.now() / 1000);
  await openIncident(p, stack, input.reason, {
    kind: 'started',
    message: `${input.reason}: switching traffic back to blue`,
  });
  p.tick('Backup of current state created', 'skipped', 'nothing is removed: green is only stopped');
  p.setReleases(bg.green.project, bg.blue.project);
  p.tick('Rollback version identified', 'done', `blue (${bg.blue.project})`);

  const blue = await docker.containersOfProject(stack, 'blue');
  if (blue.length === 0)
    p.fail(`blue environment ${bg.blue.project} has no containers; nothing to switch back to`, 'NoBlueEnvironment');
  const stopGreen = () =>
    p.step('stop green environment', () =>
      docker.stopContainers({ stack, of: 'green' }, stack.timeouts.stopGraceSeconds),
    );
  p.markChanged();
  let verifiesFrom = sinceUnix;
  const switchBack = async (): Promise<void> => {
    await p.step('ensure blue is running', () => docker.startContainers({ stack, of: 'blue' }));
    p.tick('Rollback initiated');
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
    // Verification judges what happens from the next whole second on, not the switch's own transition.
    verifiesFrom = Math.ceil(Date.now() / 1000);
    if (bg.stopGreen) await stopGreen();
    else p.record('green left running', 'blueGreen.stopGreen is false: kept for an instant re-switch');
    p.tick('Progress monitored');
  };
  return restoreAndVerify(p, input, {
    sinceUnix,
    verifiesFrom: () => verifiesFrom,
    restore: switchBack,
    restoreFailed: (error) => `blue-green switch-back failed: ${error}`,
    complete: (verification, verifiedSinceUnix) =>
      completeRollback(p, input, verification, { label: `blue (${bg.blue.project})` }, verifiedSinceUnix),
  });
}
