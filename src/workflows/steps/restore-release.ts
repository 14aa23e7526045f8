import type { HealthReport } from '../../activities/health';
import type { ResolvedStack } from '../../domain/config';
import type { Release } from '../../domain/release';
import { startWaves } from '../../domain/compose';
import { SpecSource, specsOf } from '../../domain/spec-source';
import { workflowInfo } from '@temporalio/workflow';
import { hostActivities, longHostActivities } from '../activities';
import type { Procedure } from '../procedure-state';

/** The step that stops the current version and starts the target's first wave (the whole stack, without depends_on). */
export const SWAP_STEP = 'stop current version, start target version';
/** The swap behind an ingress: nothing stops before the target serves. */
export const GAPLESS_SWAP_STEP = 'start target version beside the running one, switch the ingress, stop the old';

const failMissing = (p: Procedure, stack: ResolvedStack, missing: string[]) => {
  if (missing.length)
    p.fail(`image(s) not on host ${stack.host}: ${missing.join(', ')}; nothing was changed`, 'MissingImage');
};

/** Fails the procedure, before anything is stopped, when the engine lacks an image the target needs. */
export async function requireImages(
  p: Procedure,
  stack: ResolvedStack,
  source: Omit<SpecSource, 'label'>,
): Promise<void> {
  const { release, imageTag } = source;
  failMissing(p, stack, await hostActivities(stack).missingImagesOf(stack, { release, imageTag }));
}

/** A release and which of its images the engine lacks, read in one activity. */
export interface ReadRelease {
  id: string;
  release: Release;
  missingImages: string[];
}

/**
 * The recorded release to restore (`alreadyRead` when it was read ahead, while the backup ran); fails the
 * procedure, before anything is stopped, when an image it needs is missing.
 */
export async function targetRelease(
  p: Procedure,
  stack: ResolvedStack,
  id: string,
  alreadyRead?: ReadRelease,
): Promise<Release> {
  const { release, missingImages } =
    alreadyRead?.id === id ? alreadyRead : await hostActivities(stack).releaseToRestore(stack, id);
  failMissing(p, stack, missingImages);
  return release;
}

export interface ReplaceOptions {
  /** The error lines of the version being replaced are already in `p.errorLines` (captured earlier, alongside). */
  errorLinesCaptured?: boolean;
  /** The fingerprint of the state being brought back: leaving that same state (a forced restart) is no rollback. */
  targetFingerprint?: string;
  /** A guarded deploy moves forward: the state it leaves is not recorded as rolled back from. */
  movesForward?: boolean;
  /** The release whose config files are put back first, in the same uninterruptible stretch as the swap. */
  configOf?: Release;
}

/**
 * Records the running state as rolled back from, once per procedure, before the first destructive step:
 * whatever the procedure's end, no automatic choice goes back to it, and a hand-over carries it.
 */
async function leaveRunningState(p: Procedure, stack: ResolvedStack, opts: ReplaceOptions): Promise<void> {
  if (!opts.movesForward && p.leftState === undefined)
    p.leftState =
      (await hostActivities(stack).markLeaving(stack, {
        by: workflowInfo().workflowId,
        reason: `${p.state.procedure} moved away from it`,
        targetFingerprint: opts.targetFingerprint,
      })) ?? undefined;
  // Only now: a failure to read the running state changed nothing.
  p.markChanged();
}

/**
 * The whole-stack swap shared by every rollback: stop every service together, bring up every service
 * of the target together, then wait for health. Services move as one; none is left on the old version.
 * `release` is the recorded one `source` names: its specs give the start waves; the host worker reads
 * them again from its own store and makes each wave by name.
 */
export async function replaceStack(
  p: Procedure,
  stack: ResolvedStack,
  release: Release,
  source: SpecSource,
  healthSeconds: number,
  opts: ReplaceOptions = {},
): Promise<HealthReport> {
  const docker = hostActivities(stack);
  const specs = specsOf(stack, release, source);
  const waveOf = (wave: { specs: { service: string }[] }) => ({
    ...source,
    services: [...new Set(wave.specs.map((s) => s.service))],
  });
  if (!opts.errorLinesCaptured) p.errorLines.push(...(await docker.scanErrorLogs(stack)).slice(-50));
  // Compose's depends_on order; a service_healthy dependency is waited for before its dependents start.
  const waves = startWaves(specs);
  const startWave = async (wave: (typeof waves)[number]) => {
    if (wave.healthyFirst.length) {
      await longHostActivities(stack, healthSeconds).waitForStackHealthy(stack, {
        timeoutSeconds: healthSeconds,
        stableSeconds: 0,
        services: wave.healthyFirst,
      });
    }
    await docker.recreateFromRelease(stack, waveOf(wave));
  };
  // The stop and the first wave's start in one activity: one round trip, not one per container and one more.
  // The first wave waits for nothing (in a depends_on cycle, nothing is running to wait for).
  const [first, ...rest] = waves;
  // Once the stop begins, every wave starts: an abort or cancel waits for the end, never leaving services down.
  await p.shielded(async () => {
    await leaveRunningState(p, stack, opts);
    const configOf = opts.configOf;
    if (configOf?.configFiles.length)
      await p.step('restore previous config', () => docker.restoreConfigFiles(stack, configOf.id));
    if (stack.ingress) {
      // Behind an ingress no request is dropped: the target starts beside the running version (one activity, so a
      // worker lost at any step is retried from what exists), long enough for the health waits and the stops.
      const seconds = healthSeconds * waves.length + stack.timeouts.stopGraceSeconds * 2 + 60;
      const swapped = await p.step(GAPLESS_SWAP_STEP, () =>
        longHostActivities(stack, seconds).swapBehindIngress(stack, source),
      );
      p.record('swapped', swapped.map((s) => `${s.service}: ${s.how}${s.port ? ` (port ${s.port})` : ''}`).join(', '));
      p.tick('Rollback initiated');
      p.tick('Services restarted');
      return;
    }
    await p.step(SWAP_STEP, () => docker.replaceWithRelease(stack, waveOf(first ?? { specs: [] })));
    p.tick('Rollback initiated');
    if (rest.length)
      await p.step('start target version', async () => {
        for (const wave of rest) await startWave(wave);
      });
    p.tick('Services restarted');
  });
  const report = await p.step(`wait for health (${healthSeconds}s)`, () =>
    longHostActivities(stack, healthSeconds).waitForStackHealthy(stack, {
      timeoutSeconds: healthSeconds,
      stableSeconds: stack.timeouts.healthStableSeconds,
    }),
  );
  p.tick('Progress monitored', 'done', `${report.healthy}/${report.total} services healthy`);
  return report;
}

/** Restores a recorded release: its config files, then its containers. */
export async function restoreRelease(
  p: Procedure,
  stack: ResolvedStack,
  release: Release,
  opts: ReplaceOptions = {},
): Promise<HealthReport> {
  if (!p.triedReleases.includes(release.id)) p.triedReleases.unshift(release.id);
  return replaceStack(p, stack, release, { release: release.id, label: release.id }, stack.timeouts.healthWaitSeconds, {
    ...opts,
    targetFingerprint: release.fingerprint,
    configOf: release,
  });
}
