/** The worker's own stack settings: versions pinned by hash, requests that name other settings refused. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { currentConfig } from '../../src/config/load';
import { firstDifference, PinnedStacks } from '../../src/config/pinned-stacks';
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
  const config = currentConfig(file);
  const stacks = new PinnedStacks((name) => (hasStack(config(), name) ? resolveStack(config(), name) : undefined));
  return { file, write, stacks };
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

test('firstDifference names the first differing path, or nothing when equal', () => {
  expect(firstDifference({ a: { b: [1, 2] } }, { a: { b: [1, 2] } })).toBeUndefined();
  expect(firstDifference({ a: { b: [1, 3] } }, { a: { b: [1, 2] } })).toBe('a.b.1');
  expect(firstDifference({ a: 1, extra: 'x' }, { a: 1 })).toBe('extra');
});
