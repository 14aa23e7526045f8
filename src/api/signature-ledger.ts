/**
 * Single use of signatures, shared by every API process on the host and kept across restarts: a signature
 * is claimed by creating a file named after it (exclusive create), so the second claim of the same
 * canonical signature fails wherever it comes from. Claims older than the signature window are pruned.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class SignatureLedger {
  private lastPrune = 0;

  constructor(
    private readonly dir: string,
    private readonly windowMs: number,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** True the first time `signature` (already canonical) is claimed within its window. */
  claim(signature: string, nowMs: number): boolean {
    this.prune(nowMs);
    const file = path.join(this.dir, createHash('sha256').update(signature).digest('hex'));
    try {
      writeFileSync(file, String(nowMs), { flag: 'wx', mode: 0o600 });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  private prune(nowMs: number): void {
    if (nowMs - this.lastPrune < 60_000) return;
    this.lastPrune = nowMs;
    for (const f of readdirSync(this.dir)) {
      const file = path.join(this.dir, f);
      // Twice the window: a claim is kept as long as its timestamp could still be accepted.
      if (nowMs - statSync(file, { throwIfNoEntry: false })!.mtimeMs > 2 * this.windowMs) rmSync(file, { force: true });
    }
  }
}
