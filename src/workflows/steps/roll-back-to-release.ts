import { patched, workflowInfo } from '@temporalio/workflow';
import type { ProcedureInput } from '../../domain/procedure';
import { rollbackCandidates, ReleaseSummary } from '../../domain/release';
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

/** Chooses the target among the candidates (newest first, known-bad and the current state left out). */
export type PickRelease = (candidates: ReleaseSummary[], all: ReleaseSummary[]) => Promise<string>;
/**
 * The target the pick will most likely choose, guessed from the releases recorded before this procedure began
 * (the backup it is taking is not among them). A right guess is read during the backup; a wrong one costs a read.
 */
export type GuessRelease = (candidates: ReleaseSummary[], all: ReleaseSummary[]) => string | undefined;

/** The rollback shared by the quick, interactive, specific-version and remote methods. */
export async function rollBackToRelease(
  p: Procedure,
  input: ProcedureInput,
  pick: PickRelease,
  guess?: GuessRelease,
): Promise<RollbackResult> {
  const { stack } = input;
  const docker = hostActivities(stack);
  const sinceUnix = Math.floor(Date.now() / 1000);
  p.record('incident logged', input.reason);
  await openIncident(p, stack, input.reason, { kind: 'started', message: input.reason });

  // Reads of the stack as it is are independent of its backup: they start together (one round trip, not
  // three). The list may lack the backup just recorded; the candidates leave the current state out anyway.
  const sideBySide = patched(PARALLEL_PRECHECKS_PATCH);
  const errorLines = sideBySide ? docker.scanErrorLogs(stack) : undefined;
  const listed = sideBySide ? docker.listReleases(stack) : undefined;
  // Awaited below; until then a failure (or a cancel during the backup) must not count as unhandled.
  for (const pending of [errorLines, listed]) void pending?.catch(() => undefined);
  let guessed: PrefetchedRelease | undefined;
  if (listed && guess && patched(PREFETCH_TARGET_PATCH)) {
    // By creation time, not ID: IDs have one-second steps, and one recorded just before this began may share its second.
    const beganAt = workflowInfo().startTime.getTime();
    void listed.then(
      (all) => {
        const id = guess(rollbackCandidates(all.filter((r) => Date.parse(r.createdAt) < beganAt)), all);
        if (id !== undefined) guessed = prefetchRelease(stack, id);
      },
      () => undefined,
    );
  }
  const current = await p.step('back up current state', () =>
    releaseRecorder(stack).recordRelease(stack, {
      reason: `state before ${p.state.procedure}: ${input.reason}`,
      requestKey: requestKey('current'),
    }),
  );
  p.tick(
    'Backup of current state created',
    current ? 'done' : 'skipped',
    current ? current.id : 'no container was running',
  );
  if (errorLines) p.errorLines.push(...(await errorLines).slice(-50));

  const all = await (listed ?? docker.listReleases(stack));
  const candidates = rollbackCandidates(all, {
    excluding: current ? [current.id] : [],
    currentFingerprint: current?.fingerprint,
  });
  const targetId = await p.step('identify rollback version', () => pick(candidates, all));
  p.setReleases(current?.id, targetId);
  p.tick('Rollback version identified', 'done', targetId);

  const target = await releaseToRestore(p, stack, targetId, guessed);
  return restoreAndVerify(p, input, {
    sinceUnix,
    restore: () => restoreRelease(p, stack, target, { errorLinesCaptured: sideBySide }),
    restoreFailed: (error) => `release ${targetId} did not come up healthy: ${error}`,
    afterRestoreFailed: (error) => docker.markRelease(stack, targetId, { knownBad: `rollback to it failed: ${error}` }),
    tried: [targetId],
    complete: (verification) =>
      completeRollback(p, input, verification, { from: current?.id, to: targetId }, sinceUnix),
  });
}
