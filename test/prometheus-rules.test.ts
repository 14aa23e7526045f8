/**
 * The shipped Prometheus rules (deploy/prometheus/) against the runbook: promtool unit tests with its real
 * windows, config checks of the Prometheus and Alertmanager examples, and every alert routed by Lifeline.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { configSchema } from '../src/domain/config';
import { TEST_DIR } from './harness/paths';

const run = promisify(execFile);
const DIR = path.join(__dirname, '../deploy/prometheus');
interface Rule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
}
const rules = (
  parse(readFileSync(path.join(DIR, 'lifeline-rules.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);

test('promtool: the rules are valid and pass their unit tests with the runbook windows', async () => {
  const checked = await run('promtool', ['check', 'rules', path.join(DIR, 'lifeline-rules.yml')]);
  expect(checked.stdout).toContain('SUCCESS: 8 rules found');
  const tested = await run('promtool', ['test', 'rules', path.join(DIR, 'tests/lifeline-rules.test.yml')]);
  expect(tested.stdout).toContain('SUCCESS');
  await run('promtool', ['check', 'config', path.join(DIR, 'prometheus.yml')]);
  await run('amtool', ['check-config', path.join(DIR, 'alertmanager.yml')]);
});

test('the unit tests catch a wrong threshold: with 20 % instead of 10 % they fail', async () => {
  const dir = mkdtempSync(path.join(TEST_DIR, 'rules-'));
  mkdirSync(path.join(dir, 'tests'));
  writeFileSync(
    path.join(dir, 'lifeline-rules.yml'),
    readFileSync(path.join(DIR, 'lifeline-rules.yml'), 'utf8').replace('> 0.10', '> 0.20'),
  );
  copyFileSync(path.join(DIR, 'tests/lifeline-rules.test.yml'), path.join(dir, 'tests/lifeline-rules.test.yml'));
  const failed = await run('promtool', ['test', 'rules', path.join(dir, 'tests/lifeline-rules.test.yml')]).then(
    () => undefined,
    (err: { stdout: string; stderr: string }) => `${err.stdout}${err.stderr}`,
  );
  expect(failed).toContain('alertname: ErrorRateAbove10Percent');
});

test('every rule carries the labels Lifeline routes on, with the severity its routing gives the alert', () => {
  const routing = configSchema.parse({ stacks: { s: { services: { web: {} } } } }).alerts;
  expect(rules.map((r) => r.alert).sort()).toEqual([
    'CriticalServiceCrash',
    'ErrorRateAbove10Percent',
    'ErrorRateAbove5Percent',
    'MemoryAbove95Percent',
    'MemoryLeak',
    'PerformanceDegradation',
    'ResponseTimeAbove2s',
    'ResponseTimeAbove5s',
  ]);
  for (const r of rules) {
    // `stack` survives aggregation: every expression keeps it (by (stack ...)) or reads per-stack series.
    expect(r.expr.includes('by (stack') || r.expr.includes('lifeline_container_')).toBe(true);
    expect(routing.rules.find((x) => x.alertname === r.alert)?.severity).toBe(r.labels.severity);
  }
});
