/** Reading and changing the release store on disk: <dataDir>/releases/<stack>/<id>/release.json. */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { assertReleaseId, assertStackName } from '../domain/names';
import type { z } from 'zod';
import { Release, releaseSchema, ReleaseSummary, storedSummarySchema, summarize } from '../domain/release';
import { releasesToPrune } from '../domain/release-rules';
import { writeFileAtomic } from './files';

export class UnknownReleaseError extends Error {
  constructor(stack: string, id: string) {
    super(`unknown release ${id} for stack ${stack}`);
    this.name = 'UnknownReleaseError';
  }
}

export class ReleaseStore {
  constructor(readonly dataDir: string) {}

  stackDir(stack: string): string {
    return path.join(this.dataDir, 'releases', assertStackName(stack));
  }

  releaseDir(stack: string, id: string): string {
    return path.join(this.stackDir(stack), assertReleaseId(id));
  }

  async find(stack: string, id: string): Promise<Release | undefined> {
    return this.read(stack, id, releaseSchema);
  }

  private async read<T>(stack: string, id: string, schema: z.ZodType<T>): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(path.join(this.releaseDir(stack, id), 'release.json'), 'utf8');
    } catch {
      return undefined;
    }
    return schema.parse(JSON.parse(text));
  }

  async get(stack: string, id: string): Promise<Release> {
    const r = await this.find(stack, id);
    if (!r) throw new UnknownReleaseError(stack, id);
    return r;
  }

  /** The IDs of the stack's releases, from the folder names alone (nothing read or parsed). */
  async ids(stack: string): Promise<string[]> {
    try {
      return (await readdir(this.stackDir(stack))).filter((x) => /^\d{8}-\d{6}$/.test(x));
    } catch {
      return [];
    }
  }

  /** Summaries, newest first (`rollback.sh --list`). */
  async list(stack: string): Promise<ReleaseSummary[]> {
    const found = await Promise.all((await this.ids(stack)).map((n) => this.read(stack, n, storedSummarySchema)));
    return found.flatMap((r) => (r ? [summarize(r)] : [])).sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  async write(r: Release): Promise<void> {
    await writeFileAtomic(path.join(this.releaseDir(r.stack, r.id), 'release.json'), JSON.stringify(r, null, 2));
  }

  async mark(stack: string, id: string, mark: { knownBad?: string; knownGood?: boolean }): Promise<ReleaseSummary> {
    const r = await this.get(stack, id);
    if (mark.knownBad !== undefined)
      Object.assign(r, { knownBad: true, knownBadReason: mark.knownBad, knownGood: false });
    if (mark.knownGood) Object.assign(r, { knownGood: true, knownBad: false, knownBadReason: undefined });
    await this.write(r);
    return summarize(r);
  }

  /** Retention: keeps the newest `keep` and always the newest known-good release. */
  async prune(stack: string, keep: number): Promise<string[]> {
    const doomed = releasesToPrune(await this.list(stack), keep);
    for (const id of doomed) await rm(this.releaseDir(stack, id), { recursive: true, force: true });
    return doomed;
  }
}
