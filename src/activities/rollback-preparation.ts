/** What a rollback reads and records before it stops anything, in one activity: one round trip, not four. */
import type { ResolvedStack } from '../domain/config';
import type { Release, ReleaseSummary } from '../domain/release';
import { LikelyTarget, likelyTargetId } from '../domain/release-rules';
import type { createHealthActivities } from './health';
import type { createReleaseActivities, RecordOptions } from './releases';

type ReleaseActivities = ReturnType<typeof createReleaseActivities>;
type HealthActivities = ReturnType<typeof createHealthActivities>;

export interface RollbackPreparation {
  /** The backup of the running state; null when none of the stack's containers exist. */
  current: ReleaseSummary | null;
  /** The recorded releases, listed alongside the backup (so they may lack it). */
  releases: ReleaseSummary[];
  /** Error lines of the version about to be replaced, read before its containers go. */
  errorLines: { service: string; line: string }[];
  /** The likely target with its image check, read while the backup ran; absent when there is none or it failed. */
  likely?: { id: string; release: Release; missingImages: string[] };
}

export function createRollbackPreparation(deps: {
  releases: Pick<ReleaseActivities, 'recordRelease' | 'listReleases' | 'releaseToRestore'>;
  health: Pick<HealthActivities, 'scanErrorLogs'>;
}) {
  return {
    /**
     * The backup, the release list, the error-log capture and the likely target's read, side by side. Each
     * part is idempotent (the backup by its request key), so a retry of the whole is safe.
     */
    async prepareRollback(
      stack: ResolvedStack,
      opts: RecordOptions & { likely?: LikelyTarget; beganAt: string },
    ): Promise<RollbackPreparation> {
      const listed = deps.releases.listReleases(stack);
      const likely = listed.then(async (all) => {
        const id = opts.likely && likelyTargetId(opts.likely, all, Date.parse(opts.beganAt));
        if (id === undefined) return undefined;
        // A failed read is not this activity's failure: the restore reads the target again and reports it.
        const read = await deps.releases.releaseToRestore(stack, id).catch(() => undefined);
        return read && { id, ...read };
      });
      const [current, releases, errorLines, target] = await Promise.all([
        deps.releases.recordRelease(stack, { reason: opts.reason, requestKey: opts.requestKey }),
        listed,
        deps.health.scanErrorLogs(stack),
        likely,
      ]);
      return { current, releases, errorLines, ...(target ? { likely: target } : {}) };
    },
  };
}
