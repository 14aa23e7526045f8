/**
 * Determinism: real histories of every workflow type (test/fixtures/histories, recorded from this suite
 * with LIFELINE_RECORD_HISTORIES) replay against today's workflow code. A change that would break running
 * workflows fails here; such a change needs the patching API (patched / deprecatePatch).
 */
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROCEDURES } from '../src/domain/procedures';
import { BUNDLE_FILE } from './harness/paths';

const DIR = path.join(__dirname, 'fixtures/histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.pb')).sort();

test('there is a recorded history for every workflow type', () => {
  const types = new Set(files.map((f) => f.replace(/\.pb$/, '')));
  const expected = [...Object.values(PROCEDURES), 'rollbackVerification', 'postRollbackActions'];
  expect(expected.filter((t) => !types.has(t))).toEqual([]);
});

test('every recorded history replays without nondeterminism', async () => {
  const histories = files.map((f) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(path.join(DIR, f)));
    // Child workflow IDs derive from the parent's: replay under the recorded ID.
    return { workflowId: history.events![0].workflowExecutionStartedEventAttributes!.workflowId!, history };
  });
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: BUNDLE_FILE } }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(histories.length).toBeGreaterThanOrEqual(15);
});
