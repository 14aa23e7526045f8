/**
 * Runbook "Method 6: Blue-Green Rollback": stop green, make sure blue runs and is healthy, point the nginx
 * upstream at blue, reload nginx in its container, verify. Green is only stopped, never removed.
 */
import type { ProcedureInput } from '../domain/procedure';
import { hostActivities, longHostActivities } from './activities';
import { runOwned, rethrowIfStopped } from './steps/owned';
import { Procedure } from './procedure';
import { announce } from './steps/announce';
import { completeRollback, escalateFailedRollback, messageOf, verificationFailure, RollbackResult, verify } from './steps/finish-rollback';

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
  p.tick('Incident logged', 'done', input.reason);
  await announce(stack, p.state.procedure, 'started', `${input.reason}: switching traffic back to blue`);
  p.tick('Stakeholders notified');
  p.tick('Backup of current state created', 'skipped', 'nothing is removed: green is only stopped');
  p.setReleases(bg.green.project, bg.blue.project);
  p.tick('Rollback version identified', 'done', `blue (${bg.blue.project})`);

  const blue = await docker.containersOfProject(bg.blue.project);
  if (blue.length === 0) p.fail(`blue environment ${bg.blue.project} has no containers; nothing to switch back to`, 'NoBlueEnvironment');
  const green = await docker.containersOfProject(bg.green.project);
  p.markChanged();
  await p.step('stop green environment', () => docker.stopContainers(green.map((c) => c.name), stack.timeouts.stopGraceSeconds));
  p.tick('Rollback initiated');
  try {
    await p.step('ensure blue is running', () => docker.startContainers(blue.map((c) => c.name)));
    const blueStack = { ...stack, project: bg.blue.project, services: blue.map((c) => ({ name: c.service || c.name, container: c.name, appImage: true })) };
    const health = await p.step('wait for blue health', () =>
      longHostActivities(stack, stack.timeouts.healthWaitSeconds).waitForStackHealthy(blueStack, {
        timeoutSeconds: stack.timeouts.healthWaitSeconds,
        stableSeconds: stack.timeouts.healthStableSeconds,
      }),
    );
    p.tick('Services restarted', 'done', `${health.healthy}/${health.total} blue services healthy`);
    await p.step('point nginx upstream to blue and reload', () =>
      docker.switchNginxUpstream(bg.nginxContainer, bg.upstreamFile, bg.upstreamName, bg.blue.servers),
    );
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
