import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const TEST_DIR = path.join(os.tmpdir(), 'lifeline-test');
export const STATE_FILE = path.join(TEST_DIR, 'state.json');
/** The payload encryption keys of the test run; every client, worker, CLI and API process of the tests uses them. */
// Recording replay fixtures uses the fixtures' own (test-only) key, so the replay test can read them later.
export const FIXTURE_CODEC_KEYS_FILE = path.join(ROOT, 'test/fixtures/histories/codec-keys');
export const CODEC_KEYS_FILE = process.env.LIFELINE_RECORD_HISTORIES
  ? FIXTURE_CODEC_KEYS_FILE
  : path.join(TEST_DIR, 'codec-keys');
export const CODEC_ENV = { LIFELINE_CODEC_KEYS_FILE: CODEC_KEYS_FILE };
export const BUNDLE_FILE = path.join(TEST_DIR, 'workflow-bundle.js');
export const TEMPORAL_BIN = process.env.LIFELINE_TEMPORAL_BIN ?? path.join(ROOT, '.tools/bin/temporal');

export interface HarnessState {
  address: string;
  pid?: number;
  dbFile: string;
  uiPort: number;
}

/** What jest's global setup started (the dev server's address). */
export const harnessState = (): HarnessState => JSON.parse(readFileSync(STATE_FILE, 'utf8'));
