/**
 * Determinism: real histories of every workflow type (test/fixtures/histories, recorded from this suite
 * with LIFELINE_RECORD_HISTORIES) replay against today's workflow code. A change that would break running
 * workflows fails here; such a change needs the patching API (patched / deprecatePatch).
 */
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROCEDURES } from '../src/domain/procedures';
import { BUNDLE_FILE } from './harness/paths';

const DIR = path.join(__dirname, 'fixtures/histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

test('there is a recorded history for every workflow type', () => {
  const types = new Set(files.map((f) => f.replace(/\.json$/, '')));
  const expected = [...Object.values(PROCEDURES), 'rollbackVerification', 'postRollbackActions'];
  expect(expected.filter((t) => !types.has(t))).toEqual([]);
});

test('every recorded history replays without nondeterminism', async () => {
  const histories = files.map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(path.join(DIR, f), 'utf8'))) }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: BUNDLE_FILE } }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(histories.length).toBeGreaterThanOrEqual(15);
});
