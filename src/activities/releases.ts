/** Release activities: record the running stack, and read or mark recorded releases. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { chmod, chown, copyFile, readFile, rename, rm, stat } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { COMPOSE_LABELS, composeFilesOf, dependsOnFromCompose, dependsOnFromLabel } from '../domain/compose';
import path from 'node:path';
import type { ResolvedStack } from '../domain/config';
import type { ContainerSpec, Release, ReleaseSummary } from '../domain/release';
import { imageTagOf, nextReleaseId } from '../domain/release-rules';
import { placeRefusal } from './config-file-places';
import type { DockerActivities } from './docker';
import { specHash } from './docker-specs';
import { privateDir, sha256File, writeFileAtomic } from '../store/files';
import { ReleaseMark, ReleaseStore } from '../store/release-store';
import { storeCall } from './errors';
import type { VolumeActivities } from './volumes';

export interface RecordOptions {
  reason: string;
  /** Identifies the request; a retried request finds the release it already recorded. */
  requestKey: string;
  /** The recorded state is known-good: the evidence (a verification, or a person's word) and who gives it. */
  knownGood?: { evidence: string; by: string };
}

/**
 * A state's identity: every service spec (images by content ID) and every recorded config file's content.
 * Compose's depends_on is left out: a later record of the same containers may read it from another source.
 */
export function stateFingerprint(services: ContainerSpec[], files: { source: string; sha256: string }[]): string {
  const parts = [
    ...services.map((s) => specHash({ ...s, dependsOn: undefined })).sort(),
    ...files.map((f) => `${f.source}=${f.sha256}`).sort(),
  ];
  return createHash('sha256').update(parts.join(',')).digest('hex').slice(0, 16);
}

/** The files of `paths` that exist (a project need not have a .env). */
async function existingFiles(paths: string[]): Promise<string[]> {
  const found = await Promise.all(
    paths.map((p) =>
      stat(p).then(
        (s) => s.isFile(),
        () => false,
      ),
    ),
  );
  return paths.filter((_, i) => found[i]);
}

/** Each spec's compose depends_on: from compose v2's label, or else from the project's compose files. */
async function withDependsOn(specs: ContainerSpec[], composeFiles: string[]): Promise<ContainerSpec[]> {
  const parsed = await Promise.all(
    composeFiles.filter((f) => /\.ya?ml$/.test(f)).map(async (f) => parseYaml(await readFile(f, 'utf8')) as unknown),
  );
  return specs.map((s) => {
    const dependsOn =
      dependsOnFromLabel(s.labels[COMPOSE_LABELS.dependsOn]) ??
      parsed
        .map((doc) => dependsOnFromCompose(doc, s.labels[COMPOSE_LABELS.service] ?? s.service))
        .find((d) => d !== undefined);
    return dependsOn?.length ? { ...s, dependsOn } : s;
  });
}

/**
 * The config files a release of these containers records: the stack's configured ones, and the compose
 * project's own files and .env found from its labels that lie inside its working directory (others skipped).
 */
async function recordedFiles(stack: ResolvedStack, labels: Record<string, string>) {
  const places = { configured: stack.configFiles, workingDir: labels[COMPOSE_LABELS.workingDir] };
  const found = await existingFiles(composeFilesOf(labels, path.join));
  const refusals = await Promise.all(found.map((f) => placeRefusal(f, places)));
  const composeFiles = found.filter((_, i) => !refusals[i]);
  return { composeFiles, sources: [...new Set([...stack.configFiles, ...composeFiles])] };
}

/** The state running now: its specs, the config files a release of it records (hashed), and its fingerprint. */
async function runningState(docker: Pick<DockerActivities, 'captureSpecs'>, stack: ResolvedStack) {
  const captured = await docker.captureSpecs(stack);
  if (captured.length === 0) return null;
  const { composeFiles, sources } = await recordedFiles(stack, captured[0].labels);
  const present = await existingFiles(sources);
  const files = await Promise.all(
    present.map(async (source) => ({ source, sha256: (await sha256File(source)).sha256 })),
  );
  return { captured, composeFiles, files, fingerprint: stateFingerprint(captured, files) };
}

/** The state running now as a release would record it (specs with compose's depends_on); null when nothing runs. */
export async function readRunningState(
  docker: Pick<DockerActivities, 'captureSpecs'>,
  stack: ResolvedStack,
): Promise<{ services: ContainerSpec[]; fingerprint: string } | null> {
  const state = await runningState(docker, stack);
  return state && { services: await withDependsOn(state.captured, state.composeFiles), fingerprint: state.fingerprint };
}

export function createReleaseActivities(deps: {
  docker: DockerActivities;
  volumes: VolumeActivities;
  host: string;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const store = (dataDir: string) => new ReleaseStore(dataDir);

  async function requestKeyOf(s: ReleaseStore, stack: string, id: string): Promise<string | undefined> {
    return readFile(path.join(s.releaseDir(stack, id), 'request-key'), 'utf8').then(
      (k) => k.trim(),
      () => undefined,
    );
  }

  return {
    /**
     * Records the stack as it runs now. Returns null when none of its containers exist.
     * The release folder is assembled under a temporary name and renamed into place when complete.
     */
    async recordRelease(stack: ResolvedStack, opts: RecordOptions): Promise<ReleaseSummary | null> {
      return storeCall(async () => {
        const s = store(stack.dataDir);
        const dir = s.stackDir(stack.name);
        await privateDir(dir);
        // The stack's containers are read while the store is searched for this request's earlier answer.
        // Only the request keys are read, not every release: this runs before anything is stopped.
        const [ids, captured] = await Promise.all([s.ids(stack.name), deps.docker.captureSpecs(stack)]);
        const keys = await Promise.all(ids.map((id) => requestKeyOf(s, stack.name, id)));
        const answered = ids.find((_, i) => keys[i] === opts.requestKey);
        if (answered) return s.summary(stack.name, answered);
        if (captured.length === 0) return null;
        const { composeFiles, sources } = await recordedFiles(stack, captured[0].labels);
        const services = await withDependsOn(captured, composeFiles);
        const id = nextReleaseId(now(), new Set(ids));
        const tmp = path.join(dir, `.tmp-${id}-${process.pid}`);
        await rm(tmp, { recursive: true, force: true });
        await privateDir(path.join(tmp, 'files'));
        const configFiles = [];
        for (const [i, source] of sources.entries()) {
          const stored = `files/${i}-${path.basename(source)}`;
          const owner = await stat(source).catch(() => undefined);
          await copyFile(source, path.join(tmp, stored)).catch((err: Error) => {
            throw ApplicationFailure.nonRetryable(`config file ${source} cannot be copied: ${err.message}`, 'BadInput');
          });
          await chmod(path.join(tmp, stored), 0o600); // a .env holds passwords
          const kept = owner && { mode: owner.mode & 0o7777, uid: owner.uid, gid: owner.gid };
          configFiles.push({ source, stored, ...(await sha256File(path.join(tmp, stored))), ...kept });
        }
        const volumes = [];
        if (stack.backupVolumes) {
          for (const v of stack.volumes) {
            Context.current().heartbeat({ volume: v });
            const archived = await deps.volumes.backupVolume(v, path.join(tmp, 'volumes', `${v}.tar.gz`));
            volumes.push({ volume: v, archive: `volumes/${v}.tar.gz`, sha256: archived.sha256, bytes: archived.bytes });
          }
        }
        const release: Release = {
          id,
          stack: stack.name,
          host: deps.host,
          createdAt: now().toISOString(),
          reason: opts.reason,
          imageTags: Object.fromEntries(services.map((x) => [x.service, imageTagOf(x.image)])),
          services,
          configFiles,
          volumes,
          fingerprint: stateFingerprint(services, configFiles),
        };
        await writeFileAtomic(path.join(tmp, 'release.json'), JSON.stringify(release, null, 2));
        await writeFileAtomic(path.join(tmp, 'request-key'), opts.requestKey);
        if (opts.knownGood)
          await s.recordFact(stack.name, release.fingerprint, {
            verdict: 'known-good',
            reason: opts.knownGood.evidence,
            by: opts.knownGood.by,
            at: now().toISOString(),
          });
        await rename(tmp, path.join(dir, id));
        return s.summary(stack.name, id);
      });
    },

    async listReleases(stack: ResolvedStack): Promise<ReleaseSummary[]> {
      return storeCall(() => store(stack.dataDir).list(stack.name));
    },

    async getRelease(stack: ResolvedStack, id: string): Promise<Release> {
      return storeCall(() => store(stack.dataDir).get(stack.name, id));
    },

    /** A release and which of its images this engine lacks: what a restore reads before it stops anything. */
    async releaseToRestore(stack: ResolvedStack, id: string): Promise<{ release: Release; missingImages: string[] }> {
      const release = await storeCall(() => store(stack.dataDir).get(stack.name, id));
      return { release, missingImages: await deps.docker.missingImages(release.services.map((s) => s.image)) };
    },

    /** Marks the state a release recorded (every record of it) known-bad or known-good; `by` is who learned it. */
    async markRelease(stack: ResolvedStack, id: string, mark: ReleaseMark, by: string): Promise<ReleaseSummary> {
      return storeCall(() => store(stack.dataDir).mark(stack.name, id, mark, by, now()));
    },

    /**
     * Records the state running now as rolled back from, just before a procedure replaces it, so no automatic
     * choice goes back to it whatever that procedure's end. Nothing is recorded when nothing runs, or when the
     * running state is the target itself (a forced restart). Returns the fingerprint left.
     */
    async markLeaving(
      stack: ResolvedStack,
      leaving: { by: string; reason: string; targetFingerprint?: string },
    ): Promise<string | null> {
      return storeCall(async () => {
        const fingerprint = (await runningState(deps.docker, stack))?.fingerprint ?? null;
        if (!fingerprint || fingerprint === leaving.targetFingerprint) return null;
        await store(stack.dataDir).recordFact(stack.name, fingerprint, {
          verdict: 'rolled-back-from',
          reason: leaving.reason,
          by: leaving.by,
          at: now().toISOString(),
        });
        return fingerprint;
      });
    },

    /** Puts the release's copies of the stack's config files back where they came from, after checking them. */
    async restoreConfigFiles(stack: ResolvedStack, id: string): Promise<string[]> {
      return storeCall(async () => {
        const s = store(stack.dataDir);
        const r = await s.get(stack.name, id);
        // Every file is checked before any is written: a place refused writes nothing at all.
        const places = { configured: stack.configFiles, workingDir: r.services[0]?.labels[COMPOSE_LABELS.workingDir] };
        for (const f of r.configFiles) {
          const refusal = await placeRefusal(f.source, places);
          if (refusal) throw ApplicationFailure.nonRetryable(`${refusal}; no config file was restored`, 'BadInput');
          const stored = path.join(s.releaseDir(stack.name, id), f.stored);
          if ((await sha256File(stored)).sha256 !== f.sha256) {
            throw ApplicationFailure.nonRetryable(`stored copy of ${f.source} fails its checksum`, 'ChecksumMismatch');
          }
        }
        const restored: string[] = [];
        for (const f of r.configFiles) {
          const tmp = `${f.source}.lifeline-tmp`;
          await copyFile(path.join(s.releaseDir(stack.name, id), f.stored), tmp);
          // With the mode and owner it was recorded with (a .env readable by its service only stays so).
          if (f.mode !== undefined) await chmod(tmp, f.mode);
          if (f.uid !== undefined && f.gid !== undefined) await chown(tmp, f.uid, f.gid);
          await rename(tmp, f.source);
          restored.push(f.source);
        }
        return restored;
      });
    },

    /**
     * A verified rollback's bookkeeping in one step: the release rolled back from is known-bad, the one
     * rolled back to known-good, then retention runs (after the marks, so it never prunes the good one).
     */
    async settleReleases(
      stack: ResolvedStack,
      outcome: { by: string; knownBad?: { id: string; reason: string }; knownGood?: { id: string; evidence: string } },
    ): Promise<string[]> {
      return storeCall(async () => {
        const s = store(stack.dataDir);
        if (outcome.knownBad)
          await s.mark(stack.name, outcome.knownBad.id, { knownBad: outcome.knownBad.reason }, outcome.by, now());
        if (outcome.knownGood)
          await s.mark(stack.name, outcome.knownGood.id, { knownGood: outcome.knownGood.evidence }, outcome.by, now());
        return s.prune(stack.name, stack.retainReleases);
      });
    },

    /** Applies the stack's retention (`retainReleases`). */
    async pruneReleases(stack: ResolvedStack): Promise<string[]> {
      return storeCall(() => store(stack.dataDir).prune(stack.name, stack.retainReleases));
    },
  };
}

export type ReleaseActivities = ReturnType<typeof createReleaseActivities>;
