/**
 * Reading and changing the release store on disk: <dataDir>/releases/<stack>/<id>/release.json, and what
 * is known about each state in <dataDir>/releases/<stack>/facts.json, by fingerprint.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { assertReleaseId, assertStackName } from '../domain/names';
import type { z } from 'zod';
import {
  Release,
  ReleaseFact,
  ReleaseFacts,
  releaseFactsSchema,
  releaseSchema,
  ReleaseSummary,
  storedSummarySchema,
  summarize,
} from '../domain/release';
import { nextFact, releasesToPrune } from '../domain/release-rules';
import { writeFileAtomic } from './files';

export class UnknownReleaseError extends Error {
  constructor(stack: string, id: string) {
    super(`unknown release ${id} for stack ${stack}`);
    this.name = 'UnknownReleaseError';
  }
}

/** Known-bad with why, or known-good with the evidence (a verification, or a person's word). */
export type ReleaseMark = { knownBad: string; knownGood?: undefined } | { knownGood: string; knownBad?: undefined };

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

  /** Summaries, newest first (`rollback.sh --list`), each with what is known about its state. */
  async list(stack: string): Promise<ReleaseSummary[]> {
    const [found, facts] = await Promise.all([
      this.ids(stack).then((ids) => Promise.all(ids.map((n) => this.read(stack, n, storedSummarySchema)))),
      this.facts(stack),
    ]);
    return found.flatMap((r) => (r ? [summarize(r, facts)] : [])).sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  async summary(stack: string, id: string): Promise<ReleaseSummary> {
    const [r, facts] = await Promise.all([this.get(stack, id), this.facts(stack)]);
    return summarize(r, facts);
  }

  async facts(stack: string): Promise<ReleaseFacts> {
    let text: string;
    try {
      text = await readFile(this.factsFile(stack), 'utf8');
    } catch {
      return {};
    }
    return releaseFactsSchema.parse(JSON.parse(text));
  }

  /** Records what is now known about a state; the latest fact about a fingerprint replaces the one before. */
  async recordFact(stack: string, fingerprint: string, fact: ReleaseFact): Promise<void> {
    const facts = await this.facts(stack);
    facts[fingerprint] = nextFact(facts[fingerprint], fact);
    await writeFileAtomic(this.factsFile(stack), JSON.stringify(facts, null, 2));
  }

  private factsFile(stack: string): string {
    return path.join(this.stackDir(stack), 'facts.json');
  }

  async write(r: Release): Promise<void> {
    await writeFileAtomic(path.join(this.releaseDir(r.stack, r.id), 'release.json'), JSON.stringify(r, null, 2));
  }

  /** Marks the state `id` recorded (every record of that state, present and future) known-bad or known-good. */
  async mark(stack: string, id: string, mark: ReleaseMark, by: string, at: Date): Promise<ReleaseSummary> {
    const r = await this.get(stack, id);
    await this.recordFact(stack, r.fingerprint, {
      verdict: mark.knownBad !== undefined ? 'known-bad' : 'known-good',
      reason: mark.knownBad ?? mark.knownGood,
      by,
      at: at.toISOString(),
    });
    return this.summary(stack, id);
  }

  /** Retention: keeps the newest `keep` and always the newest known-good release. */
  async prune(stack: string, keep: number): Promise<string[]> {
    const doomed = releasesToPrune(await this.list(stack), keep);
    for (const id of doomed) await rm(this.releaseDir(stack, id), { recursive: true, force: true });
    return doomed;
  }
}
