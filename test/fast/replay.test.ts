/**
 * Determinism: the recorded baseline histories replay against today's workflow code.
 * - `owned/`: one per workflow type and way of ending, from the whole suite (`npm run fixtures:record`).
 * - `paths/`: every history of every fast-tier test, one per decision path (deny, preemption, silence, ...).
 * `manifest.json` holds the hash of every workflow source file they were recorded or replayed green against:
 * a changed workflow fails here until `npm run fixtures:accept` or `npm run fixtures:record` says what was
 * meant. Versioning after a release: docs/VERSIONING.md.
 */
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROCEDURES } from '../../src/domain/workflow-ids';
import { lifelineDataConverter } from '../../src/codec/data-converter';
import { BUNDLE_FILE, FIXTURE_CODEC_KEYS_FILE } from '../harness/paths';

const DIR = path.join(__dirname, '../fixtures/histories');
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

const REPLAYED = ['owned', 'paths'];
const green = new Set<string>();

test.each(REPLAYED)('every history in %s/ replays without nondeterminism', async (sub) => {
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
  green.add(sub);
});

test('every workflow source file was recorded or replayed green as it is now (manifest.json)', () => {
  const current = workflowSourceHashes();
  const manifestFile = path.join(DIR, 'manifest.json');
  if (process.env.LIFELINE_ACCEPT_FIXTURES === '1') {
    expect([...green].sort()).toEqual([...REPLAYED].sort());
    writeFileSync(manifestFile, `${JSON.stringify({ workflowSources: current }, null, 2)}\n`);
  }
  const { workflowSources: accepted } = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    workflowSources: Record<string, string>;
  };
  const changed = Object.keys({ ...accepted, ...current }).filter((f) => accepted[f] !== current[f]);
  if (changed.length)
    throw new Error(
      `workflow code changed since its replay fixtures were recorded or accepted: ${changed.join(', ')}. ` +
        'If the change is meant to be compatible, run `npm run fixtures:accept` (replays, then records the new ' +
        'hashes); if it changes what workflows do, run `npm run fixtures:record` (docs/VERSIONING.md).',
    );
});

/** sha256 of every file the workflow bundle is built from (workflows and the domain rules they use). */
function workflowSourceHashes(): Record<string, string> {
  const root = path.join(__dirname, '../..');
  const files = ['src/workflows', 'src/domain'].flatMap((d) =>
    readdirSync(path.join(root, d), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(d, f)),
  );
  return Object.fromEntries(
    files.sort().map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(path.join(root, f)))
        .digest('hex'),
    ]),
  );
}
