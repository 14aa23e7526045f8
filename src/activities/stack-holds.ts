/**
 * A stack's hold, recorded beside its releases: the owner keeps it in its state, and this record lets a
 * fresh owner run (after a terminate) find it again. <dataDir>/holds/<stack>.json; no file: not held.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedStack } from '../domain/config';
import { assertStackName } from '../domain/names';
import type { StackHold } from '../domain/ownership';
import { privateDir, writeFileAtomic } from '../store/files';

const holdFile = (stack: ResolvedStack) => path.join(stack.dataDir, 'holds', `${assertStackName(stack.name)}.json`);

export function createStackHoldActivities() {
  return {
    /** Records the hold, or (null) its lift. Idempotent: the same call writes the same file. */
    async recordHold(stack: ResolvedStack, hold: StackHold | null): Promise<void> {
      const file = holdFile(stack);
      if (!hold) return rm(file, { force: true });
      await privateDir(path.dirname(file));
      await writeFileAtomic(file, JSON.stringify(hold, null, 2));
    },

    async readHold(stack: ResolvedStack): Promise<StackHold | null> {
      const text = await readFile(holdFile(stack), 'utf8').catch(() => undefined);
      return text ? (JSON.parse(text) as StackHold) : null;
    },
  };
}
