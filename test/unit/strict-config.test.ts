/** One strict configuration: unknown keys and bad environment values stop a process with exit 2, naming them. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/config-error';
import { envSchema, readEnv } from '../../src/config/env';
import { loadConfig } from '../../src/config/load';
import { nearestName } from '../../src/domain/nearest-name';

const ROOT = path.resolve(__dirname, '../..');
const write = (text: string) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'strict-')), 'lifeline.yaml');
  writeFileSync(file, text);
  return file;
};

test('a misspelled timeouts key is an error naming its path and the nearest valid key', () => {
  const file = write('stacks:\n  s:\n    services: { godot: {} }\n    timeouts: { healthWaitSecond: 5 }\n');
  expect(() => loadConfig(file)).toThrow(ConfigError);
  expect(() => loadConfig(file)).toThrow(
    'stacks.s.timeouts.healthWaitSecond: unknown key; did you mean "healthWaitSeconds"?',
  );
});

test('unknown keys at the top level, in arrays and in records are named too', () => {
  const file = write(
    'stacks:\n  s:\n    services: { godot: { helthUrl: "http://127.0.0.1:1/" } }\n' +
      '    smokeTests: [{ name: a, url: "http://127.0.0.1:1/", expectStatu: 200 }]\nnotificatons: []\n',
  );
  const message = (() => {
    try {
      loadConfig(file);
    } catch (err) {
      return (err as Error).message;
    }
    return 'loaded without an error';
  })();
  expect(message).toContain('stacks.s.services.godot.helthUrl: unknown key; did you mean "healthUrl"?');
  expect(message).toContain('stacks.s.smokeTests.0.expectStatu: unknown key; did you mean "expectStatus"?');
  expect(message).toContain('notificatons: unknown key; did you mean "notifications"?');
});

test('the shipped configs are strict-clean', () => {
  expect(() => loadConfig(path.join(ROOT, 'lifeline.yaml'))).not.toThrow();
});

test('a name far from every known one gets the list, not a guess', () => {
  expect(nearestName('zzzzzz', ['orchestration', 'host'])).toBeUndefined();
  expect(nearestName('orchestraton', ['orchestration', 'host'])).toBe('orchestration');
});

test('the environment is read in one typed module: defaults, and a misspelled worker role named', () => {
  const env = readEnv({});
  expect(env.LIFELINE_WORKER_ROLES).toEqual(['orchestration', 'host']);
  expect(env.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
  expect(() => readEnv({ LIFELINE_WORKER_ROLES: 'orchestraton' })).toThrow(
    'LIFELINE_WORKER_ROLES: unknown worker role "orchestraton"; did you mean "orchestration"?',
  );
  expect(() => readEnv({ LIFELINE_API_PORT: 'eighty' })).toThrow('LIFELINE_API_PORT');
});

test('every environment variable is documented in docs/ENVIRONMENT.md', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/ENVIRONMENT.md'), 'utf8');
  expect(Object.keys(envSchema.shape).filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
});

/** The worker process as an operator starts it, from source: it must stop before reaching Temporal or Docker. */
const startWorker = (env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/worker/main.ts')], {
    env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', DOCKER_HOST: 'tcp://127.0.0.1:1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });

test('a worker with a misspelled role or config key exits 2 and names it', () => {
  const role = startWorker({
    LIFELINE_WORKER_ROLES: 'orchestraton',
    LIFELINE_CONFIG: path.join(ROOT, 'lifeline.yaml'),
  });
  expect(role.status).toBe(2);
  expect(role.stderr).toContain('unknown worker role "orchestraton"; did you mean "orchestration"?');

  const file = write('stacks:\n  s:\n    services: { godot: {} }\n    timeout: {}\n');
  const config = startWorker({ LIFELINE_CONFIG: file });
  expect(config.status).toBe(2);
  expect(config.stderr).toContain('stacks.s.timeout: unknown key; did you mean "timeouts"?');
});
