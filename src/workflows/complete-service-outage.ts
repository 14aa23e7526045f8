/**
 * Runbook emergency "Complete Service Outage": inventory every container, start the last known good
 * release; if that fails, check disk space and free it safely (volumes only with a person's approval),
 * have the Docker daemon restarted (configured command or a person), retry, and escalate.
 */
import type { ProcedureInput } from '../domain/procedure-types';
import { lastKnownGood } from '../domain/release-rules';
import { hostActivities, hostCommandActivities } from './activities';
import { runOwned, rethrowIfStopped } from './steps/owned';
import { Procedure } from './procedure-state';
import { openIncident } from './steps/announce';
import { attemptRecovery } from './steps/attempt-recovery';
import { EscalatedResult, escalateAndFinish } from './steps/escalate';
import { completeRollback, RollbackResult } from './steps/finish-rollback';
import { targetRelease, restoreRelease } from './steps/restore-release';

const SENIOR_OPS_LEVEL = 2;
const GiB = 2 ** 30;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

export async function completeServiceOutage(
  input: ProcedureInput & { releaseId?: string },
): Promise<RollbackResult | EscalatedResult> {
  const p: Procedure = new Procedure('complete-service-outage', input.stack.name);
  return runOwned(p, input, { escalateFromLevel: SENIOR_OPS_LEVEL }, () => completeServiceOutageSteps(p, input));
}

async function completeServiceOutageSteps(
  p: Procedure,
  input: ProcedureInput & { releaseId?: string },
): Promise<RollbackResult | EscalatedResult> {
  const { stack } = input;
  const em = stack.emergency;
  const docker = hostActivities(stack);
  const sinceUnix = Math.floor(Date.now() / 1000);
  await openIncident(p, stack, input.reason, { kind: 'started', message: input.reason });

  const inventory = await p.step('inventory all containers (docker ps -a)', () => docker.listAllContainers(stack));
  p.record(
    'inventory',
    `${inventory.length} container(s), ${inventory.filter((c) => c.state === 'running').length} running`,
  );

  const releases = await docker.listReleases(stack);
  const targetId = input.releaseId ?? lastKnownGood(releases)?.id;
  if (!targetId)
    return escalateAndFinish(
      p,
      stack,
      SENIOR_OPS_LEVEL,
      `complete outage of ${stack.name} and no known-good release recorded`,
    );
  const release = await targetRelease(p, stack, targetId);
  p.setReleases(undefined, targetId);
  p.tick('Rollback version identified', 'done', targetId);
  const start = (label: string) => attemptRecovery(p, input, label, () => restoreRelease(p, stack, release), sinceUnix);

  let verification = await start(`start last known good ${targetId}`);
  if (!verification) {
    const disk = await p.step('check disk space (df -h)', () => docker.diskFree(stack));
    p.record('disk', `${gib(disk.freeBytes)} free of ${gib(disk.totalBytes)}`);
    if (disk.freeBytes < em.minFreeDiskBytes) {
      const pruned = await p.step('free space safely: stopped containers, dangling images, build cache', () =>
        docker.pruneSafe(stack),
      );
      p.record(
        'freed',
        `${pruned.containersDeleted} containers, ${pruned.imagesDeleted} images, ${gib(pruned.spaceReclaimed)}`,
      );
      const after = await docker.diskFree(stack);
      if (after.freeBytes < em.minFreeDiskBytes) {
        const d = await p.ask(
          'approval',
          `Only ${gib(after.freeBytes)} free. Prune unused Docker volumes? This deletes their data.`,
          'senior ops',
          {
            timeoutSeconds: em.personTimeoutSeconds,
            approvals: stack.decisions.twoPeople.includes('volume prune') ? 2 : 1,
          },
        );
        if (d.approved) await p.step('prune unused volumes (approved)', () => docker.pruneVolumes(stack));
        else p.record('volumes kept', d.kind === 'timeout' ? 'no approval in time' : `denied by ${d.by}`);
      }
    }
    if (em.dockerRestartCommand) {
      await p
        .step('restart Docker daemon', () =>
          hostCommandActivities(stack, 120).runHostCommand(stack, 'dockerRestartCommand', 120),
        )
        .catch((err) => {
          rethrowIfStopped(p, err);
          p.record('restart failed', String(err));
        });
    } else {
      const d = await p.ask(
        'confirm-step',
        'Restart the Docker daemon (sudo systemctl restart docker), then confirm',
        'on-call engineer',
        { timeoutSeconds: em.personTimeoutSeconds },
      );
      if (d.kind === 'timeout')
        return escalateAndFinish(
          p,
          stack,
          SENIOR_OPS_LEVEL,
          `outage of ${stack.name}: nobody confirmed a Docker restart`,
        );
    }
    verification = await start(`retry last known good ${targetId}`);
  }
  if (verification) return completeRollback(p, input, verification, { to: targetId }, sinceUnix);
  return escalateAndFinish(
    p,
    stack,
    SENIOR_OPS_LEVEL,
    `outage of ${stack.name} persists after restart; backup restoration needed`,
  );
}
