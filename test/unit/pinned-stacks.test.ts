/** The worker's own stack settings: versions pinned by hash, requests that name other settings refused. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { currentConfig } from '../../src/config/load';
import { firstDifference, PinnedStacks, VERSIONS_KEPT } from '../../src/config/pinned-stacks';
import { hasStack, resolveStack } from '../../src/domain/config';

function configFile(firewallCommand?: string[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pinned-'));
  const file = path.join(dir, 'lifeline.yaml');
  const write = (command?: string[]) =>
    writeFileSync(
      file,
      stringify({
        dataDir: dir,
        stacks: { shop: { services: { web: {} }, ...(command ? { emergency: { firewallCommand: command } } : {}) } },
      }),
    );
  write(firewallCommand);
  // A worker process: it reads the file and records pinned versions in the data folder.
  const worker = () => {
    const config = currentConfig(file);
    return new PinnedStacks((name) => (hasStack(config(), name) ? resolveStack(config(), name) : undefined), dir);
  };
  const record = (hash: string | undefined) => path.join(dir, 'config-versions', 'shop', `${hash}.json`);
  return { file, write, stacks: worker(), worker, record };
}

test('a request naming only the stack gets the current settings, pinned by a hash', () => {
  const { stacks } = configFile(['/usr/sbin/block']);
  const loaded = stacks.load({ name: 'shop' });
  expect(loaded.emergency.firewallCommand).toEqual(['/usr/sbin/block']);
  expect(loaded.configHash).toMatch(/^[0-9a-f]{16}$/);
  expect(stacks.verify(loaded)).toEqual(loaded);
});

test('a request naming a command the config does not hold is refused, naming the setting', () => {
  const { stacks } = configFile();
  const own = stacks.load({ name: 'shop' });
  expect(() =>
    stacks.load({ ...own, emergency: { ...own.emergency, firewallCommand: ['/bin/sh', '-c', 'id'] } }),
  ).toThrow(
    "the request sets emergency.firewallCommand of stack shop, which this worker's config does not hold; nothing ran",
  );
  expect(() => stacks.load({ name: 'constructor' })).toThrow('stack "constructor" is not in this worker\'s config');
});

test('a running procedure keeps the version it started with; a new one reads the changed file', () => {
  const { write, stacks } = configFile(['/usr/sbin/block-v1']);
  const first = stacks.load({ name: 'shop' });
  write(['/usr/sbin/block-v2']);
  const second = stacks.load({ name: 'shop' });
  expect(second.emergency.firewallCommand).toEqual(['/usr/sbin/block-v2']);
  expect(second.configHash).not.toBe(first.configHash);
  // Each activity gets back exactly the version its procedure pinned.
  expect(stacks.verify(first).emergency.firewallCommand).toEqual(['/usr/sbin/block-v1']);
  expect(stacks.verify(second).emergency.firewallCommand).toEqual(['/usr/sbin/block-v2']);
});

test('a stack whose settings differ from its pinned version, or that has none, is refused', () => {
  const { stacks } = configFile(['/usr/sbin/block']);
  const own = stacks.load({ name: 'shop' });
  expect(() => stacks.verify({ ...own, dataDir: '/' })).toThrow('the request sets dataDir of stack shop');
  expect(() => stacks.verify({ ...own, configHash: '0000000000000000' })).toThrow(
    'config version 0000000000000000 is not one this worker holds',
  );
  const { configHash: _hash, ...unpinned } = own;
  expect(() => stacks.verify(unpinned)).toThrow('has no pinned config version');
});

test('a second worker reading the same file knows the version without having loaded it', () => {
  const { file, stacks } = configFile(['/usr/sbin/block']);
  const own = stacks.load({ name: 'shop' });
  const config = currentConfig(file);
  const other = new PinnedStacks((name) => (hasStack(config(), name) ? resolveStack(config(), name) : undefined));
  expect(other.verify(own)).toEqual(own);
});

test('a worker restarted with a changed file still serves the version a running procedure pinned', () => {
  const { write, stacks, worker, record } = configFile(['/usr/sbin/block-v1']);
  const running = stacks.load({ name: 'shop' });
  // The record is owner-only, in an owner-only folder.
  expect(statSync(record(running.configHash)).mode & 0o777).toBe(0o600);
  expect(statSync(path.dirname(record(running.configHash))).mode & 0o777).toBe(0o700);
  write(['/usr/sbin/block-v2']);
  const restarted = worker();
  expect(restarted.verify(running)).toEqual(running);
  // A new procedure takes the file as it is now.
  expect(restarted.load({ name: 'shop' }).emergency.firewallCommand).toEqual(['/usr/sbin/block-v2']);
  // Still refused: settings that differ from the recorded version.
  expect(() =>
    restarted.verify({ ...running, emergency: { ...running.emergency, firewallCommand: ['/bin/sh', '-c', 'id'] } }),
  ).toThrow('the request sets emergency.firewallCommand.0 of stack shop');
});

test('after a restart, a version on no record is refused, and so is a record changed after it was written', () => {
  const { write, stacks, worker, record } = configFile(['/usr/sbin/block']);
  const running = stacks.load({ name: 'shop' });
  write(['/usr/sbin/block-v2']);
  expect(() => worker().verify({ ...running, configHash: '0123456789abcdef' })).toThrow(
    'config version 0123456789abcdef is not one this worker holds',
  );
  // A name that is no stack name never reaches the file system.
  expect(() => worker().verify({ ...running, name: '../shop' })).toThrow('is not one this worker holds');
  // Whoever edits the record to carry a command gets it refused, and the edited record no longer serves anyone.
  const forged = { ...running, emergency: { ...running.emergency, firewallCommand: ['/bin/sh', '-c', 'id'] } };
  writeFileSync(record(running.configHash), JSON.stringify(forged));
  expect(() => worker().verify(forged)).toThrow(
    `the record of stack shop config version ${running.configHash} (${record(running.configHash)}) was changed after it was written`,
  );
  expect(() => worker().verify(running)).toThrow('was changed after it was written');
  writeFileSync(record(running.configHash), 'not json');
  expect(() => worker().verify(running)).toThrow('was changed after it was written');
});

test('the record keeps the newest versions of a stack', () => {
  const { write, stacks, record } = configFile();
  const first = stacks.load({ name: 'shop' });
  // File times are coarse: the first record is made clearly the oldest.
  utimesSync(record(first.configHash), new Date(0), new Date(0));
  let last = first;
  for (let i = 0; i < VERSIONS_KEPT + 2; i++) {
    write([`/usr/sbin/block-${i}`]);
    last = stacks.load({ name: 'shop' });
  }
  expect(readdirSync(path.dirname(record(first.configHash))).filter((f) => f.endsWith('.json'))).toHaveLength(
    VERSIONS_KEPT,
  );
  expect(existsSync(record(first.configHash))).toBe(false);
  expect(JSON.parse(readFileSync(record(last.configHash), 'utf8'))).toEqual(last);
});

test('firstDifference names the first differing path, or nothing when equal', () => {
  expect(firstDifference({ a: { b: [1, 2] } }, { a: { b: [1, 2] } })).toBeUndefined();
  expect(firstDifference({ a: { b: [1, 3] } }, { a: { b: [1, 2] } })).toBe('a.b.1');
  expect(firstDifference({ a: 1, extra: 'x' }, { a: 1 })).toBe('extra');
});
