import { patched, workflowInfo } from '@temporalio/workflow';
import type { ProcedureInput } from '../../domain/procedure';
import type { ReleaseSummary } from '../../domain/release';
import { LikelyTarget, likelyTargetId, rollbackCandidates } from '../../domain/release-rules';
import { hostActivities, releaseRecorder } from '../activities';
import { requestKey, type Procedure } from '../procedure';
import { openIncident } from './announce';
import { completeRollback, RollbackResult } from './finish-rollback';
import { restoreAndVerify } from './restore-and-verify';
import { prefetchRelease, PrefetchedRelease, releaseToRestore, restoreRelease } from './restore-release';

/** Histories from before the backup, the release list and the error-log capture ran side by side. */
const PARALLEL_PRECHECKS_PATCH = 'parallel-prechecks';

/** Histories from before a likely target was read while the backup ran. */
const PREFETCH_TARGET_PATCH = 'prefetch-target';

/** Histories from before the backup, the list, the error-log capture and the likely target's read were one activity. */
const PREPARE_IN_ONE_PATCH = 'prepare-in-one';

/** Chooses the target among the candidates (newest first, known-bad and the current state left out). */
export type PickRelease = (candidates: ReleaseSummary[], all: ReleaseSummary[]) => Promise<string>;

/** What the rollback knows before it picks: the backup, every release, and perhaps the likely target, read. */
interface Prepared {
  current: ReleaseSummary | null;
  all: ReleaseSummary[];
  likely?: PrefetchedRelease;
  /** The error lines of the version being replaced are already in `p.errorLines`. */
  errorLinesCaptured: boolean;
}

/** The rollback shared by the quick, interactive, specific-version and remote methods. */
export async function rollBackToRelease(
  p: Procedure,
  input: ProcedureInput,
  pick: PickRelease,
  likely?: LikelyTarget,
): Promise<RollbackResult> {
  const { stack } = input;
  const docker = hostActivities(stack);
  const sinceUnix = Math.floor(Date.now() / 1000);
  p.record('incident logged', input.reason);
  await openIncident(p, stack, input.reason, { kind: 'started', message: input.reason });

  const {
    current,
    all,
    likely: read,
    errorLinesCaptured,
  } = patched(PREPARE_IN_ONE_PATCH) ? await prepareInOne(p, input, likely) : await prepareSideBySide(p, input, likely);
  const candidates = rollbackCandidates(all, {
    excluding: current ? [current.id] : [],
    currentFingerprint: current?.fingerprint,
  });
  const targetId = await p.step('identify rollback version', () => pick(candidates, all));
  p.setReleases(current?.id, targetId);
  p.tick('Rollback version identified', 'done', targetId);

  const target = await releaseToRestore(p, stack, targetId, read);
  return restoreAndVerify(p, input, {
    sinceUnix,
    restore: () => restoreRelease(p, stack, target, { errorLinesCaptured }),
    restoreFailed: (error) => `release ${targetId} did not come up healthy: ${error}`,
    afterRestoreFailed: (error) => docker.markRelease(stack, targetId, { knownBad: `rollback to it failed: ${error}` }),
    tried: [targetId],
    complete: (verification) =>
      completeRollback(p, input, verification, { from: current?.id, to: targetId }, sinceUnix),
  });
}

const backupTick = (p: Procedure, current: ReleaseSummary | null) =>
  p.tick(
    'Backup of current state created',
    current ? 'done' : 'skipped',
    current ? current.id : 'no container was running',
  );

const backupOptions = (p: Procedure, input: ProcedureInput) => ({
  reason: `state before ${p.state.procedure}: ${input.reason}`,
  requestKey: requestKey('current'),
});

/** The backup, the release list, the error-log capture and the likely target's read: one activity. */
async function prepareInOne(p: Procedure, input: ProcedureInput, likely: LikelyTarget | undefined): Promise<Prepared> {
  const { stack } = input;
  const prep = await p.step('back up current state', () =>
    releaseRecorder(stack).prepareRollback(stack, {
      ...backupOptions(p, input),
      likely,
      beganAt: workflowInfo().startTime.toISOString(),
    }),
  );
  backupTick(p, prep.current);
  p.errorLines.push(...prep.errorLines.slice(-50));
  const { likely: read } = prep;
  return {
    current: prep.current,
    all: prep.releases,
    likely: read && { id: read.id, read: Promise.resolve(read) },
    errorLinesCaptured: true,
  };
}

/** Histories before `prepare-in-one`: the same reads as separate activities, side by side since `parallel-prechecks`. */
async function prepareSideBySide(
  p: Procedure,
  input: ProcedureInput,
  likely: LikelyTarget | undefined,
): Promise<Prepared> {
  const { stack } = input;
  const docker = hostActivities(stack);
  // Reads of the stack as it is are independent of its backup: they start together (one round trip, not
  // three). The list may lack the backup just recorded; the candidates leave the current state out anyway.
  const sideBySide = patched(PARALLEL_PRECHECKS_PATCH);
  const errorLines = sideBySide ? docker.scanErrorLogs(stack) : undefined;
  const listed = sideBySide ? docker.listReleases(stack) : undefined;
  // Awaited below; until then a failure (or a cancel during the backup) must not count as unhandled.
  for (const pending of [errorLines, listed]) void pending?.catch(() => undefined);
  let guessed: PrefetchedRelease | undefined;
  if (listed && likely && patched(PREFETCH_TARGET_PATCH)) {
    const beganAt = workflowInfo().startTime.getTime();
    void listed.then(
      (all) => {
        const id = likelyTargetId(likely, all, beganAt);
        if (id !== undefined) guessed = prefetchRelease(stack, id);
      },
      () => undefined,
    );
  }
  const current = await p.step('back up current state', () =>
    releaseRecorder(stack).recordRelease(stack, backupOptions(p, input)),
  );
  backupTick(p, current);
  if (errorLines) p.errorLines.push(...(await errorLines).slice(-50));
  const all = await (listed ?? docker.listReleases(stack));
  return { current, all, likely: guessed, errorLinesCaptured: sideBySide };
}
