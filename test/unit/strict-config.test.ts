/** One strict configuration: unknown keys and bad environment values stop a process with exit 2, naming them. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../src/config/config-error';
import { envSchema, readEnv } from '../../src/config/env';
import { loadConfig } from '../../src/config/load';
import { configSchema } from '../../src/domain/config';
import { nearestName } from '../../src/domain/nearest-name';

const ROOT = path.resolve(__dirname, '../..');
const write = (text: string) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'strict-')), 'lifeline.yaml');
  writeFileSync(file, text);
  return file;
};

const loadError = (file: string): string => {
  try {
    loadConfig(file);
  } catch (err) {
    return (err as Error).message;
  }
  return 'loaded without an error';
};

/** Where an object in the schema lets unknown keys through (a schema added later without .strict()). */
function looseObjects(schema: z.ZodTypeAny, at: string): string[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
    return looseObjects(schema._def.innerType, at);
  if (schema instanceof z.ZodEffects) return looseObjects(schema.innerType(), at);
  if (schema instanceof z.ZodRecord) return looseObjects(schema.valueSchema, `${at}.*`);
  if (schema instanceof z.ZodArray) return looseObjects(schema.element, `${at}.0`);
  if (schema instanceof z.ZodUnion || schema instanceof z.ZodDiscriminatedUnion)
    return (schema.options as z.ZodTypeAny[]).flatMap((o) => looseObjects(o, at));
  if (!(schema instanceof z.ZodObject)) return [];
  const fields = Object.entries(schema.shape as Record<string, z.ZodTypeAny>);
  return [
    ...(schema._def.unknownKeys === 'strict' ? [] : [at || '(top level)']),
    ...fields.flatMap(([key, field]) => looseObjects(field, at ? `${at}.${key}` : key)),
  ];
}

test('every object in the config schema is strict', () => {
  expect(looseObjects(configSchema, '')).toEqual([]);
});

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
  const message = loadError(file);
  expect(message).toContain('stacks.s.services.godot.helthUrl: unknown key; did you mean "healthUrl"?');
  expect(message).toContain('stacks.s.smokeTests.0.expectStatu: unknown key; did you mean "expectStatus"?');
  expect(message).toContain('notificatons: unknown key; did you mean "notifications"?');
});

test('unknown keys in api, github and an integrity check option are named', () => {
  const file = write(
    'api: { prot: 9000 }\ngithub: { repo: a/b, apiURL: "https://github.example" }\n' +
      'stacks:\n  s:\n    services: { godot: {} }\n    integrityCheck: { type: exec, service: godot, comand: [true] }\n',
  );
  const message = loadError(file);
  expect(message).toContain('api.prot: unknown key; did you mean "port"?');
  expect(message).toContain('github.apiURL: unknown key; did you mean "apiUrl"?');
  expect(message).toContain('stacks.s.integrityCheck.comand: unknown key; did you mean "command"?');
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

test('every environment variable is documented in docs/ENVIRONMENT.md, with its default', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/ENVIRONMENT.md'), 'utf8');
  // Rows as prettier aligns them: | `NAME`   | default   | what it does |
  const documented = new Map([...doc.matchAll(/^\| `(\w+)` *\| ([^|]*?) *\|/gm)].map((m) => [m[1], m[2]]));
  const schemaDefault = (field: z.ZodTypeAny) =>
    field instanceof z.ZodDefault ? `\`${field._def.defaultValue()}\`` : '—';
  const expected = Object.entries(envSchema.shape).map(([name, field]) => [name, schemaDefault(field)]);
  expect(expected.map(([name]) => [name, documented.get(name)])).toEqual(expected);
});

/** A process as an operator starts it, from source: it must stop before reaching Temporal or Docker. */
const start = (entry: string, env: NodeJS.ProcessEnv, args: string[] = []) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, entry), ...args], {
    env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', DOCKER_HOST: 'tcp://127.0.0.1:1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
const startWorker = (env: NodeJS.ProcessEnv) => start('src/worker/main.ts', env);

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

test('the API and the CLI exit 2 on a misspelled config key too, naming it', () => {
  const file = write('stacks:\n  s:\n    services: { godot: {} }\n    timeouts: { healthWaitSecond: 5 }\n');
  const named = 'stacks.s.timeouts.healthWaitSecond: unknown key; did you mean "healthWaitSeconds"?';
  const api = start('src/api/main.ts', { LIFELINE_CONFIG: file });
  expect(api.status).toBe(2);
  expect(api.stderr).toContain(named);
  const cli = start('src/client/cli.ts', { LIFELINE_CONFIG: file }, ['releases', 's']);
  expect(cli.status).toBe(2);
  expect(cli.stderr).toContain(named);
});
