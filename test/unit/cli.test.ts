/** The CLI's parsing as a person meets it: help, usage and config errors with exit code 2. No server is reached. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { lifelineInProcess as lifeline } from '../harness/cli-in-process';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-unit-'));
const configFile = path.join(dir, 'lifeline.yaml');
writeFileSync(configFile, stringify({ dataDir: dir, stacks: { clistack: { services: { godot: {}, api: {} } } } }));
const withConfig = (...args: string[]) => lifeline(['--config', configFile, ...args]);

test('--help lists the commands and exits 0; per-command help too', async () => {
  const top = await lifeline(['--help']);
  expect(top.code).toBe(0);
  for (const cmd of [
    'rollback',
    'deploy',
    'releases',
    'backup',
    'status',
    'history',
    'procedures',
    'doctor',
    'approve',
    'deny',
    'abort',
    'demo',
  ])
    expect(top.stdout).toContain(cmd);
  const sub = await lifeline(['rollback', '--help']);
  expect(sub.code).toBe(0);
  expect(sub.stdout).toContain('--image-tag <tag>');
});

test('usage and config errors exit 2 with a clear message', async () => {
  const unknownOption = await withConfig('rollback', 'clistack', '--bogus');
  expect(unknownOption.code).toBe(2);
  expect(unknownOption.stderr).toContain("unknown option '--bogus'");

  const unknownStack = await withConfig('releases', 'nope');
  expect(unknownStack.code).toBe(2);
  expect(unknownStack.stderr).toContain('unknown stack "nope"; configured stacks: clistack');

  const traversal = await withConfig('--json', 'releases', '../etc');
  expect(traversal.code).toBe(2);
  expect(JSON.parse(traversal.stdout)).toEqual({
    error: expect.stringContaining('invalid stack name "../etc"'),
    exitCode: 2,
  });

  const badFile = path.join(dir, 'bad.yaml');
  writeFileSync(badFile, 'stacks:\n  s:\n    services: {}\n');
  const badConfig = await lifeline(['--config', badFile, 'releases', 's']);
  expect(badConfig.code).toBe(2);
  expect(badConfig.stderr).toContain(`invalid config ${badFile}`);
  expect(badConfig.stderr).toContain('stacks.s.services: at least one service');

  const notTty = await withConfig('rollback', 'clistack');
  expect(notTty.code).toBe(2);
  expect(notTty.stderr).toContain(
    'interactive rollback needs a terminal; use --quick, --release <id>, --image-tag <tag> or --blue-green',
  );

  const badRelease = await withConfig('rollback', 'clistack', '--release', '2025-12-02');
  expect(badRelease.code).toBe(2);
  expect(badRelease.stderr).toContain('release IDs look like 20251202-143022');
});

test("an answer aimed at a stack's owner is refused before anything is sent, naming what to answer instead", async () => {
  const r = await withConfig('abort', 'stack:clistack', '--as', 'oncall', '--reason', 'stop it');
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("stack:clistack is the stack's owner, not a procedure");
  expect(r.stderr).toContain('lifeline status clistack');
});

test('lift names its required decision: the audience and the reason', async () => {
  const r = await withConfig('lift', 'clistack', '--as', 'sec');
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("required option '--audience <group>' not specified");
});
