/** The data folder holds release records (container env), evidence, reports and keys: owner-only. */
import { chmodSync, mkdirSync } from 'node:fs';

export function ensurePrivateDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}
