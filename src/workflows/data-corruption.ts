/**
 * Runbook emergency "Data Corruption Detected": stop everything, snapshot the (corrupted) volumes to a
 * verified emergency archive, verify the chosen good backup before anything is wiped, restore, start the
 * previous version, check integrity, and escalate if it fails. The corrupted data is never lost.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { ProcedureInput } from '../domain/procedure-types';
import { rollbackCandidates } from '../domain/release-rules';
import { hostActivities, longHostActivities } from './activities';
import { runOwned, rethrowIfStopped } from './steps/owned';
import { Procedure } from './procedure-state';
import { openIncident } from './steps/announce';
import { EscalatedResult, escalateAndFinish } from './steps/escalate';
import { completeRollback, messageOf, RollbackResult, verify } from './steps/finish-rollback';
import { targetRelease, restoreRelease } from './steps/restore-release';

const SENIOR_OPS_LEVEL = 2;

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
  const sinceUnix = Math.floor(Date.now() / 1000);
  await openIncident(p, stack, input.reason, { kind: 'started', message: input.reason });

  p.markChanged();
  await p.step('STOP ALL SERVICES', () => docker.stopContainers({ stack }, stack.timeouts.stopGraceSeconds));
  const snapshot = await p.step('snapshot current volumes', () =>
    long.snapshotVolumes(stack, workflowInfo().workflowId),
  );
  p.tick(
    'Backup of current state created',
    'done',
    snapshot.map((s) => `${s.volume} sha256:${s.sha256.slice(0, 12)}`).join(', '),
  );
  const withSnapshot = <T>(r: T) => ({
    ...r,
    snapshot: snapshot.map(({ volume, archive, sha256 }) => ({ volume, archive, sha256 })),
  });

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
  let chosen = input.releaseId;
  if (!chosen) {
    const d = await p.ask(
      'choose-release',
      'Choose the last good backup to restore (VERIFY THIS DATE)',
      'on-call engineer',
      {
        options: candidates.map((c) => c.id),
        timeoutSeconds: stack.emergency.personTimeoutSeconds,
      },
    );
    if (d.kind === 'timeout')
      return withSnapshot(await escalateAndFinish(p, stack, SENIOR_OPS_LEVEL, 'nobody chose a backup to restore'));
    chosen = d.releaseId;
  }
  const release = await targetRelease(p, stack, chosen!);
  p.setReleases(undefined, release.id);
  p.tick('Rollback version identified', 'done', release.id);

  // Every archive must verify before any volume is wiped.
  const archives = await Promise.all(
    release.volumes.map(async (v) => ({ ...v, path: await docker.releaseFilePath(stack, release.id, v.archive) })),
  );
  for (const a of archives) {
    const check = await docker.verifyArchive(a.path, a.sha256);
    if (!check.ok) {
      p.tick('No data loss', 'failed', `backup of ${a.volume} in ${release.id} fails its checksum`);
      await docker.markRelease(stack, release.id, { knownBad: `volume archive ${a.volume} fails its checksum` });
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
  for (const a of archives)
    await p.step(`restore volume ${a.volume}`, () => long.restoreVolume(a.volume, a.path, a.sha256));
  try {
    await restoreRelease(p, stack, release);
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
  const integrity = await p.step('verify data integrity', () => docker.checkIntegrity(stack));
  p.tick('No data loss', integrity.passed ? 'done' : 'failed', integrity.detail);
  const verification = await verify(p, input, sinceUnix);
  if (!integrity.passed || !verification.passed) {
    return withSnapshot(
      await escalateAndFinish(
        p,
        stack,
        SENIOR_OPS_LEVEL,
        `data could not be restored on ${stack.name}: ${integrity.passed ? 'verification failed' : integrity.detail}`,
      ),
    );
  }
  return withSnapshot(
    await completeRollback(
      p,
      input,
      { ...verification, checks: [...verification.checks, integrity] },
      { to: release.id },
      sinceUnix,
    ),
  );
}
