import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const TEST_DIR = path.join(os.tmpdir(), 'lifeline-test');
export const STATE_FILE = path.join(TEST_DIR, 'state.json');
export const BUNDLE_FILE = path.join(TEST_DIR, 'workflow-bundle.js');
export const TEMPORAL_BIN = process.env.LIFELINE_TEMPORAL_BIN ?? path.join(ROOT, '.tools/bin/temporal');

export interface HarnessState {
  address: string;
  pid?: number;
  dbFile: string;
  uiPort: number;
}
