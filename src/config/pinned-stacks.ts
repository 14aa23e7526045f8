/**
 * The stacks as this worker's own config describes them, each version pinned by its hash. A procedure
 * starts with the current version (its hash goes into the history); every activity it runs gets that
 * exact version back from here, never the settings a request or a history carries.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ResolvedStack, StackRef } from '../domain/config';
import { stableStringify } from '../domain/stable-json';

/** Versions kept in memory: a procedure pinned to an older one still finds it after the file changed. */
const VERSIONS_KEPT = 200;

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

  /** `read` gives the stack as the config file says now (undefined: no such stack); it may throw a config error. */
  constructor(private readonly read: (name: string) => ResolvedStack | undefined) {}

  /** The stack as the config says now, with its hash; remembered so activities can find this version later. */
  current(name: string): ResolvedStack | undefined {
    const settings = this.read(name);
    if (!settings) return undefined;
    const pinned = { ...settings, configHash: stackConfigHash(settings) };
    const key = `${name}@${pinned.configHash}`;
    this.versions.delete(key);
    this.versions.set(key, pinned);
    if (this.versions.size > VERSIONS_KEPT) this.versions.delete(this.versions.keys().next().value as string);
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

  /** The worker's own copy of the version `given` was pinned to; refused when `given` differs from it in anything. */
  verify(given: ResolvedStack): ResolvedStack {
    const name = String(given.name);
    if (!given.configHash)
      throw refuse(
        `stack ${name} has no pinned config version: its settings did not come from a worker's config; nothing ran`,
      );
    const key = `${name}@${given.configHash}`;
    const own =
      this.versions.get(key) ??
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
}

/** Whether an activity argument is a stack's settings (the shape every workflow passes). */
export const isStackSettings = (v: unknown): v is ResolvedStack =>
  !!v &&
  typeof v === 'object' &&
  typeof (v as ResolvedStack).name === 'string' &&
  Array.isArray((v as ResolvedStack).services) &&
  typeof (v as ResolvedStack).timeouts === 'object';
