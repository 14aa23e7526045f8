/**
 * Restores named by IDs only: a release, the services of one start wave, a volume. Specs and archive paths
 * come from this worker's own release store and its stack config, never from the caller, so whoever can
 * schedule these cannot make a container of their own spec or restore a file of their choice into a volume.
 */
import path from 'node:path';
import type { ResolvedStack } from '../domain/config';
import { SpecSource, specsOf, WaveSource, waveSpecs } from '../domain/spec-source';
import { ReleaseStore } from '../store/release-store';
import type { DockerActivities, RecreateOutcome } from './docker';
import { badInput } from './errors';
import type { ReleaseActivities } from './releases';
import type { VolumeActivities } from './volumes';

export function createReleaseRestoreActivities(deps: {
  docker: DockerActivities;
  volumes: VolumeActivities;
  releases: Pick<ReleaseActivities, 'getRelease'>;
}) {
  const read = deps.releases.getRelease;

  const specs = async (stack: ResolvedStack, wave: WaveSource) => {
    const release = await read(stack, wave.release);
    try {
      return waveSpecs(stack, release, wave);
    } catch (err) {
      throw badInput((err as Error).message);
    }
  };

  /** A volume's archive in a release: only a volume the stack lists, at its path inside the release folder. */
  const archiveOf = async (
    stack: ResolvedStack,
    id: string,
    volume: string,
  ): Promise<{ sha256: string; path: string }> => {
    if (!stack.volumes.includes(volume)) throw badInput(`volume ${volume} is not one of stack ${stack.name}'s volumes`);
    const entry = (await read(stack, id)).volumes.find((v) => v.volume === volume);
    if (!entry) throw badInput(`release ${id} holds no archive of volume ${volume}`);
    const base = new ReleaseStore(stack.dataDir).releaseDir(stack.name, id);
    const full = path.resolve(base, entry.archive);
    if (!full.startsWith(base + path.sep)) throw badInput(`the archive of ${volume} lies outside release ${id}`);
    return { sha256: entry.sha256, path: full };
  };

  return {
    /** Which images the source's specs need that this engine lacks (there is no registry to pull them from). */
    async missingImagesOf(stack: ResolvedStack, source: Omit<SpecSource, 'label'>): Promise<string[]> {
      const release = await read(stack, source.release);
      return deps.docker.missingImages(specsOf(stack, release, source).map((s) => s.image));
    },

    /** The swap: stops the stack and makes the first wave's services from the release (docker.replaceServices). */
    async replaceWithRelease(stack: ResolvedStack, wave: WaveSource): Promise<RecreateOutcome[]> {
      return deps.docker.replaceServices(stack, await specs(stack, wave), wave.label);
    },

    /** A later start wave: makes its services from the release, each exactly once (docker.recreateFromSpec). */
    async recreateFromRelease(stack: ResolvedStack, wave: WaveSource): Promise<RecreateOutcome[]> {
      const grace = stack.timeouts.stopGraceSeconds;
      return Promise.all(
        (await specs(stack, wave)).map((s) => deps.docker.recreateFromSpec(stack.name, s, wave.label, grace)),
      );
    },

    /** Checks a release's archive of a volume against its recorded checksum. */
    async verifyVolumeArchive(stack: ResolvedStack, id: string, volume: string): Promise<{ ok: boolean }> {
      const a = await archiveOf(stack, id, volume);
      return { ok: (await deps.volumes.verifyArchive(a.path, a.sha256)).ok };
    },

    /** Replaces a volume's contents with the release's archive of it, once the archive verifies. */
    async restoreVolumeArchive(stack: ResolvedStack, id: string, volume: string): Promise<{ bytes: number }> {
      const a = await archiveOf(stack, id, volume);
      return deps.volumes.restoreVolume(volume, a.path, a.sha256);
    },
  };
}
