import { patched } from '@temporalio/workflow';
import type { HostActivities } from '../../activities';
import type { HealthReport } from '../../activities/health';
import type { ResolvedStack } from '../../domain/config';
import type { ContainerSpec, Release } from '../../domain/release';
import { startWaves } from '../../domain/compose';
import { hostActivities, longHostActivities } from '../activities';
import type { Procedure } from '../procedure';

/** Histories from before the release and its image check were read in one activity (one round trip, not two). */
const RELEASE_TO_RESTORE_PATCH = 'release-to-restore';

/** Histories from before the stop and the first start wave were one activity. */
const REPLACE_IN_ONE_PATCH = 'replace-in-one';

/** The step that stops the current version and starts the target's first wave (the whole stack, without depends_on). */
export const SWAP_STEP = 'stop current version, start target version';

const failMissing = (p: Procedure, stack: ResolvedStack, missing: string[]) => {
  if (missing.length)
    p.fail(`image(s) not on host ${stack.host}: ${missing.join(', ')}; nothing was changed`, 'MissingImage');
};

/** Fails the procedure, before anything is stopped, when the engine lacks an image the target needs. */
export async function requireImages(p: Procedure, stack: ResolvedStack, specs: ContainerSpec[]): Promise<void> {
  failMissing(p, stack, await hostActivities(stack).missingImages(specs.map((s) => s.image)));
}

/** A likely target and its read, started before the choice; the read is undefined when it failed (the real read reports it). */
export interface PrefetchedRelease {
  id: string;
  read: Promise<Awaited<ReturnType<HostActivities['releaseToRestore']>> | undefined>;
}

/** Reads a likely target while the procedure is still deciding, so a right guess costs no round trip later. */
export function prefetchRelease(stack: ResolvedStack, id: string): PrefetchedRelease {
  return {
    id,
    read: hostActivities(stack)
      .releaseToRestore(stack, id)
      .catch(() => undefined),
  };
}

/** The recorded release to restore; fails the procedure, before anything is stopped, when an image it needs is missing. */
export async function releaseToRestore(
  p: Procedure,
  stack: ResolvedStack,
  id: string,
  prefetched?: PrefetchedRelease,
): Promise<Release> {
  const docker = hostActivities(stack);
  if (!patched(RELEASE_TO_RESTORE_PATCH)) {
    const release = await docker.getRelease(stack, id);
    await requireImages(p, stack, release.services);
    return release;
  }
  const early = prefetched?.id === id ? await prefetched.read : undefined;
  const { release, missingImages } = early ?? (await docker.releaseToRestore(stack, id));
  failMissing(p, stack, missingImages);
  return release;
}

export interface ReplaceOptions {
  /** The error lines of the version being replaced are already in `p.errorLines` (captured earlier, alongside). */
  errorLinesCaptured?: boolean;
}

/**
 * The whole-stack swap shared by every rollback: stop every service together, bring up every service
 * of the target together, then wait for health. Services move as one; none is left on the old version.
 */
export async function replaceStack(
  p: Procedure,
  stack: ResolvedStack,
  specs: ContainerSpec[],
  label: string,
  healthSeconds: number,
  opts: ReplaceOptions = {},
): Promise<HealthReport> {
  const docker = hostActivities(stack);
  if (!opts.errorLinesCaptured) p.errorLines.push(...(await docker.scanErrorLogs(stack)).slice(-50));
  p.markChanged();
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
    await Promise.all(
      wave.specs.map((spec) => docker.recreateFromSpec(stack.name, spec, label, stack.timeouts.stopGraceSeconds)),
    );
  };
  if (waves[0] && !waves[0].healthyFirst.length && patched(REPLACE_IN_ONE_PATCH)) {
    // The stop and the first wave's start in one activity: one round trip, not one per container and one more.
    await p.step(SWAP_STEP, () => docker.replaceServices(stack, waves[0].specs, label));
    p.tick('Rollback initiated');
    if (waves.length > 1)
      await p.step('start target version', async () => {
        for (const wave of waves.slice(1)) await startWave(wave);
      });
  } else {
    await p.step('stop current version', () => docker.stopContainers({ stack }, stack.timeouts.stopGraceSeconds));
    p.tick('Rollback initiated');
    await p.step('start target version', async () => {
      for (const wave of waves) await startWave(wave);
    });
  }
  p.tick('Services restarted');
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
  if (release.configFiles.length) {
    p.markChanged();
    await p.step('restore previous config', () => hostActivities(stack).restoreConfigFiles(stack, release.id));
  }
  return replaceStack(p, stack, release.services, release.id, stack.timeouts.healthWaitSeconds, opts);
}
