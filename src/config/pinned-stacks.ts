/**
 * The stacks as this worker's own config describes them, each version pinned by its hash. A procedure
 * starts with the current version (its hash goes into the history); every activity it runs gets that
 * exact version back from here, never the settings a request or a history carries. Every pinned version
 * is also recorded in the worker's data folder, so a worker restarted with a changed file still serves
 * the procedures that started before the change.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ResolvedStack, StackRef } from '../domain/config';
import { stackNameSchema } from '../domain/names';
import { stableStringify } from '../domain/stable-json';

/**
 * Versions kept in memory, and on disk per stack: a procedure pinned to an older one still finds it after
 * the file changed (the 200th change back would have to happen while it runs).
 */
export const VERSIONS_KEPT = 200;

const HASH = /^[0-9a-f]{16}$/;
const RECORD = /^[0-9a-f]{16}\.json$/;

const refuse = (message: string) => ApplicationFailure.nonRetryable(message, 'BadInput');

export const stackConfigHash = (stack: ResolvedStack): string => {
  const { configHash: _ignored, ...settings } = stack;
  return createHash('sha256').update(stableStringify(settings)).digest('hex').slice(0, 16);
};

/** The first setting (as a dotted path) where `given` differs from `own`; undefined when they are equal. */
export function firstDifference(given: unknown, own: unknown, at = ''): string | undefined {
  if (isDeepStrictEqual(given, own)) return undefined;
  if (
    given &&
    own &&
    typeof given === 'object' &&
    typeof own === 'object' &&
    Array.isArray(given) === Array.isArray(own)
  ) {
    const g = given as Record<string, unknown>;
    const o = own as Record<string, unknown>;
    for (const key of new Set([...Object.keys(g), ...Object.keys(o)])) {
      if (g[key] === undefined && o[key] === undefined) continue;
      const diff = firstDifference(g[key], o[key], at ? `${at}.${key}` : key);
      if (diff) return diff;
    }
    return undefined;
  }
  return at || '(the whole stack)';
}

export class PinnedStacks {
  private readonly versions = new Map<string, ResolvedStack>();

  /**
   * `read` gives the stack as the config file says now (undefined: no such stack); it may throw a config error.
   * `dataDir` (the worker's own, never one a request names) keeps the record of pinned versions under
   * config-versions/<stack>/<hash>.json; without it versions are kept in memory only.
   */
  constructor(
    private readonly read: (name: string) => ResolvedStack | undefined,
    private readonly dataDir?: string,
  ) {}

  /** The stack as the config says now, with its hash; remembered (and recorded) so activities find this version later. */
  current(name: string): ResolvedStack | undefined {
    const settings = this.read(name);
    if (!settings) return undefined;
    const pinned = { ...settings, configHash: stackConfigHash(settings) };
    const key = `${name}@${pinned.configHash}`;
    if (!this.versions.has(key)) this.record(pinned);
    this.remember(key, pinned);
    return pinned;
  }

  /**
   * A new procedure's stack: the current version. A request may name only the stack; one that names
   * settings (a command, a URL, a path) this config does not hold is refused, and nothing runs.
   */
  load(requested: StackRef & Partial<ResolvedStack>): ResolvedStack {
    const own = this.current(requested.name);
    if (!own) throw refuse(`stack ${JSON.stringify(requested.name)} is not in this worker's config; nothing ran`);
    const { name: _name, configHash: _hash, ...named } = requested;
    for (const [key, value] of Object.entries(named)) {
      const diff = firstDifference(value, own[key as keyof ResolvedStack], key);
      if (diff)
        throw refuse(
          `the request sets ${diff} of stack ${own.name}, which this worker's config does not hold; nothing ran`,
        );
    }
    return own;
  }

  /**
   * The worker's own copy of the version `given` was pinned to (in memory, in its record on disk, or the
   * file as it is now); refused when `given` differs from it in anything.
   */
  verify(given: ResolvedStack): ResolvedStack {
    const name = String(given.name);
    if (!given.configHash)
      throw refuse(
        `stack ${name} has no pinned config version: its settings did not come from a worker's config; nothing ran`,
      );
    const key = `${name}@${given.configHash}`;
    const own =
      this.versions.get(key) ??
      this.recorded(name, given.configHash) ??
      (this.current(name)?.configHash === given.configHash ? this.versions.get(key) : undefined);
    if (!own)
      throw refuse(
        `stack ${name} config version ${given.configHash} is not one this worker holds (the config changed since the procedure started?); nothing ran`,
      );
    const diff = firstDifference(given, own);
    if (diff)
      throw refuse(`the request sets ${diff} of stack ${name}, which this worker's config does not hold; nothing ran`);
    return own;
  }

  private remember(key: string, stack: ResolvedStack): void {
    this.versions.delete(key);
    this.versions.set(key, stack);
    if (this.versions.size > VERSIONS_KEPT) this.versions.delete(this.versions.keys().next().value as string);
  }

  /** Where a stack's versions are recorded; none for a name that is no stack name (it would be a path trick). */
  private recordDir(name: string): string | undefined {
    if (!this.dataDir || !stackNameSchema.safeParse(name).success) return undefined;
    return path.join(this.dataDir, 'config-versions', name);
  }

  /**
   * Records a version atomically, owner-only, keeping the newest VERSIONS_KEPT of the stack. A record that
   * cannot be written costs only the restart case, so it is reported and the procedure goes on.
   */
  private record(pinned: ResolvedStack): void {
    const dir = this.recordDir(pinned.name);
    if (!dir) return;
    const file = path.join(dir, `${pinned.configHash}.json`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Unique: workers in containers sharing the folder may all be pid 1.
      const tmp = `${file}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
      writeFileSync(tmp, JSON.stringify(pinned), { mode: 0o600 });
      renameSync(tmp, file);
      const records = readdirSync(dir).filter((f) => RECORD.test(f));
      if (records.length <= VERSIONS_KEPT) return;
      // Oldest first; a record another worker removed meanwhile counts as oldest.
      const age = (f: string) => statSync(path.join(dir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0;
      const byAge = records.map((f) => ({ f, at: age(f) })).sort((a, b) => a.at - b.at);
      for (const { f } of byAge.slice(0, records.length - VERSIONS_KEPT)) rmSync(path.join(dir, f), { force: true });
    } catch (err) {
      console.warn(
        `lifeline worker: config version ${pinned.configHash} of stack ${pinned.name} not recorded in ${dir}: ${(err as Error).message}`,
      );
    }
  }

  /**
   * A version recorded on disk (by this worker or by it before a restart). A record whose settings no longer
   * hash to its name was changed after it was written: it is no record of this worker's config, and refused.
   */
  private recorded(name: string, hash: string): ResolvedStack | undefined {
    const dir = this.recordDir(name);
    if (!dir || !HASH.test(hash)) return undefined;
    const file = path.join(dir, `${hash}.json`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let stack: ResolvedStack | undefined;
    try {
      stack = JSON.parse(text) as ResolvedStack;
    } catch {
      stack = undefined;
    }
    if (stack?.name !== name || stack.configHash !== hash || stackConfigHash(stack) !== hash)
      throw refuse(
        `the record of stack ${name} config version ${hash} (${file}) was changed after it was written; nothing ran`,
      );
    this.remember(`${name}@${hash}`, stack);
    return stack;
  }
}
