/**
 * Runbook emergency "Data Corruption Detected": stop everything, snapshot the (corrupted) volumes to a
 * verified emergency archive, verify the chosen good backup before anything is wiped, restore, start the
 * previous version, check integrity, and escalate if it fails. The corrupted data is never lost.
 */
import { workflowInfo } from '@temporalio/workflow';
import { snapshotTick } from '../domain/checklist';
import type { ProcedureInput } from '../domain/procedure-types';
import type { Release } from '../domain/release';
import { rollbackCandidates } from '../domain/release-rules';
import { hostActivities, longHostActivities } from './activities';
import { runOwned, rethrowIfStopped } from './steps/owned';
import { Procedure } from './procedure-state';
import { openIncident } from './steps/announce';
import { EscalatedResult, escalateAndFinish } from './steps/escalate';
import { completeRollback, messageOf, RollbackResult, verificationFailure, verify } from './steps/finish-rollback';
import { targetRelease, restoreRelease } from './steps/restore-release';

const SENIOR_OPS_LEVEL = 2;

/**
 * Why `release` cannot restore the data, if it cannot: it holds no volume archive, one of a volume outside
 * `volumes` (the stack's, which the emergency snapshot keeps), whose current data the restore would wipe
 * unkept, or none of one of the stack's volumes, which would stay corrupted.
 */
function restoreRefusal(release: Release, volumes: readonly string[]): string | undefined {
  if (!release.volumes.length) return `release ${release.id} has no volume archives`;
  const archived = release.volumes.map((v) => v.volume);
  const unkept = archived.filter((v) => !volumes.includes(v));
  if (unkept.length)
    return `release ${release.id} archives ${unkept.join(', ')}, not among the stack's volumes: no snapshot would keep their current data`;
  const uncovered = volumes.filter((v) => !archived.includes(v));
  if (uncovered.length)
    return `release ${release.id} holds no archive of ${uncovered.join(', ')}: those would stay corrupted`;
  return undefined;
}

export interface DataCorruptionResult {
  snapshot: { volume: string; archive: string; sha256: string }[];
}

export async function dataCorruption(
  input: ProcedureInput & { releaseId?: string },
): Promise<(RollbackResult | EscalatedResult) & DataCorruptionResult> {
  const p: Procedure = new Procedure('data-corruption', input.stack.name);
  return runOwned(p, input, { escalateFromLevel: SENIOR_OPS_LEVEL }, () => dataCorruptionSteps(p, input));
}

async function dataCorruptionSteps(
  p: Procedure,
  input: ProcedureInput & { releaseId?: string },
): Promise<(RollbackResult | EscalatedResult) & DataCorruptionResult> {
  const { stack } = input;
  const docker = hostActivities(stack);
  const long = longHostActivities(stack, 3600);
  const by = workflowInfo().workflowId;
  const sinceUnix = Math.floor(Date.now() / 1000);
  // A release named in the request is read before anything stops: one that cannot restore the data is refused.
  const named = input.releaseId ? await targetRelease(p, stack, input.releaseId) : undefined;
  const refused = named && restoreRefusal(named, stack.volumes);
  if (refused)
    p.fail(
      `${refused}; data corruption restores the volumes from a release's archives; nothing was changed`,
      'NoVolumeBackup',
    );
  await openIncident(p, stack, input.reason, { kind: 'started', message: input.reason });

  p.markChanged();
  // Until the services run again, any end leaves the stack held: nothing may start them on unchecked data.
  p.hold = {
    reason: `data corruption: ${input.reason}; services stopped`,
    audience: stack.escalation[SENIOR_OPS_LEVEL - 1]?.name ?? 'senior ops',
  };
  await p.step('STOP ALL SERVICES', () => docker.stopContainers({ stack }, stack.timeouts.stopGraceSeconds));
  const snapshot = await p.step('snapshot current volumes', () => long.snapshotVolumes(stack, by));
  const backup = snapshotTick(snapshot, stack.volumes);
  p.tick('Backup of current state created', backup.state, backup.note);
  const withSnapshot = <T>(r: T) => ({
    ...r,
    snapshot: snapshot.map(({ volume, archive, sha256 }) => ({ volume, archive, sha256 })),
  });

  let release = named;
  if (!release) {
    const candidates = rollbackCandidates(await docker.listReleases(stack)).filter((r) => r.volumes > 0);
    if (candidates.length === 0)
      return withSnapshot(
        await escalateAndFinish(
          p,
          stack,
          SENIOR_OPS_LEVEL,
          `data corruption on ${stack.name} and no release holds a volume backup`,
        ),
      );
    const d = await p.ask(
      'choose-release',
      'Choose the last good backup to restore (VERIFY THIS DATE)',
      'on-call engineer',
      {
        releases: candidates,
        timeoutSeconds: stack.emergency.personTimeoutSeconds,
      },
    );
    if (d.kind === 'timeout')
      return withSnapshot(await escalateAndFinish(p, stack, SENIOR_OPS_LEVEL, 'nobody chose a backup to restore'));
    release = await targetRelease(p, stack, d.releaseId!);
    const refusal = restoreRefusal(release, stack.volumes);
    if (refusal)
      return withSnapshot(await escalateAndFinish(p, stack, SENIOR_OPS_LEVEL, `${refusal}; nothing was restored`));
  }
  p.setReleases(undefined, release.id);
  p.tick('Rollback version identified', 'done', release.id);

  // Every archive must verify before any volume is wiped.
  const archives = release.volumes;
  for (const a of archives) {
    const check = await long.verifyVolumeArchive(stack, release.id, a.volume);
    if (!check.ok) {
      p.tick('No data loss', 'failed', `backup of ${a.volume} in ${release.id} fails its checksum`);
      await docker.markRelease(stack, release.id, { knownBad: `volume archive ${a.volume} fails its checksum` }, by);
      return withSnapshot(
        await escalateAndFinish(
          p,
          stack,
          SENIOR_OPS_LEVEL,
          `backup ${release.id} is corrupt (${a.volume} checksum mismatch); nothing was restored`,
        ),
      );
    }
  }
  p.tick('Rollback initiated');
  // A volume restore wipes then extracts: once begun, every volume is restored before a stop takes effect.
  await p.shielded(async () => {
    for (const a of archives)
      await p.step(`restore volume ${a.volume}`, () => long.restoreVolumeArchive(stack, release.id, a.volume));
  });
  try {
    await restoreRelease(p, stack, release);
    p.hold = undefined;
  } catch (err) {
    rethrowIfStopped(p, err);
    p.tick('No errors during rollback', 'failed', messageOf(err));
    return withSnapshot(
      await escalateAndFinish(
        p,
        stack,
        SENIOR_OPS_LEVEL,
        `services did not come back after restoring ${release.id}: ${messageOf(err)}`,
      ),
    );
  }
  p.tick('No errors during rollback');
  // Only a configured check runs: without one there is no evidence either way, so the item is not ticked done.
  const integrity = stack.integrityCheck
    ? await p.step('verify data integrity', () => docker.checkIntegrity(stack))
    : undefined;
  if (integrity) p.tick('No data loss', integrity.passed ? 'done' : 'failed', integrity.detail);
  else p.tick('No data loss', 'skipped', 'no integrity check configured (integrityCheck)');
  const verification = await verify(p, input, sinceUnix);
  if (integrity?.passed === false || !verification.passed) {
    return withSnapshot(
      await escalateAndFinish(
        p,
        stack,
        SENIOR_OPS_LEVEL,
        `data could not be restored on ${stack.name}: ${integrity?.passed === false ? integrity.detail : verificationFailure(verification)}`,
      ),
    );
  }
  return withSnapshot(
    await completeRollback(
      p,
      input,
      { ...verification, checks: integrity ? [...verification.checks, integrity] : verification.checks },
      { to: release.id },
      sinceUnix,
    ),
  );
}
