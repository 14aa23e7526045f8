/**
 * Determinism: real histories of every workflow type replay against today's workflow code. A change that
 * would break running workflows fails here; such a change needs the patching API (patched / deprecatePatch).
 * - `owned/`: histories of the current code, one per workflow type and way of ending (`npm run fixtures:record`).
 * - `pre-owner/`: histories recorded before stack ownership; they replay along the unpatched path.
 * - `pre-worker-config/`: histories recorded before workers read stack settings from their own config (and
 *   before the switch-first blue-green, breach-only-approved, watched-deploy and report-every-outcome patches).
 */
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROCEDURES } from '../src/domain/procedures';
import { lifelineDataConverter } from '../src/codec/data-converter';
import { BUNDLE_FILE, FIXTURE_CODEC_KEYS_FILE } from './harness/paths';

const DIR = path.join(__dirname, 'fixtures/histories');
const fixtures = (sub: string) =>
  readdirSync(path.join(DIR, sub))
    .filter((f) => f.endsWith('.pb'))
    .sort()
    .map((f) => path.join(sub, f));
const typeOf = (file: string) => path.basename(file).replace(/(-[a-z_]+)?\.pb$/, '');
const EVERY_TYPE = [...Object.values(PROCEDURES), 'rollbackVerification', 'postRollbackActions'];

test('the current code has a recorded history for every workflow type', () => {
  const types = new Set(fixtures('owned').map(typeOf));
  expect(EVERY_TYPE.filter((t) => !types.has(t))).toEqual([]);
});

test.each(['owned', 'pre-worker-config', 'pre-owner'])(
  'every history in %s/ replays without nondeterminism',
  async (sub) => {
    const histories = fixtures(sub).map((f) => {
      const history = temporal.api.history.v1.History.decode(readFileSync(path.join(DIR, f)));
      // Child workflow IDs derive from the parent's: replay under the recorded ID.
      return { workflowId: history.events![0].workflowExecutionStartedEventAttributes!.workflowId!, history };
    });
    const failures: string[] = [];
    const dataConverter = lifelineDataConverter(DIR, { LIFELINE_CODEC_KEYS_FILE: FIXTURE_CODEC_KEYS_FILE });
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: BUNDLE_FILE }, dataConverter },
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(histories.length).toBeGreaterThanOrEqual(14);
  },
);
