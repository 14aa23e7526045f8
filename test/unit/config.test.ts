import { mkdtempSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/config-error';
import { loadConfig } from '../../src/config/load';
import { configSchema, resolveStack, UnknownStackError } from '../../src/domain/config';

const write = (text: string) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'lifeline.yaml');
  writeFileSync(file, text);
  return file;
};

test('the shipped lifeline.yaml is valid and describes the runbook stack', () => {
  const config = loadConfig(path.resolve(__dirname, '../../lifeline.yaml'));
  const stack = resolveStack(config, 'spacetime');
  // No container names: the services' containers are found by their compose labels.
  expect(stack.project).toBe('spacetime');
  expect(stack.services.map((s) => [s.name, s.container])).toEqual([
    ['godot', undefined],
    ['api', undefined],
    ['telemetry', undefined],
    ['assets', undefined],
  ]);
  expect(stack.smokeTests).toHaveLength(13);
  expect(stack.timeouts.healthWaitSeconds).toBe(120);
  expect(config.escalation.levels.map((l) => l.name)).toEqual([
    'on-call engineer',
    'senior ops',
    'infrastructure team',
    'CTO / VP Engineering',
  ]);
});

test('an invalid field is named with its file and path', () => {
  const file = write(
    'stacks:\n  spacetime:\n    services:\n      godot: { healthUrl: "not a url" }\n    timeouts: { healthWaitSeconds: -1 }\n',
  );
  expect(() => loadConfig(file)).toThrow(ConfigError);
  try {
    loadConfig(file);
  } catch (err) {
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain('stacks.spacetime.services.godot.healthUrl');
    expect((err as Error).message).toContain('stacks.spacetime.timeouts.healthWaitSeconds');
  }
});

test('bad YAML, a missing file and a path-trick stack name are clear errors', () => {
  expect(() => loadConfig(write('stacks: [unclosed'))).toThrow(/not valid YAML/);
  expect(() => loadConfig('/nonexistent/lifeline.yaml')).toThrow(/cannot read config \/nonexistent\/lifeline.yaml/);
  expect(() => loadConfig(write('stacks:\n  "../etc":\n    services: { a: {} }\n'))).toThrow(/stacks\.\.\.\/etc/);
});

test('an unknown stack names the configured ones', () => {
  const config = loadConfig(path.resolve(__dirname, '../../lifeline.yaml'));
  expect(() => resolveStack(config, 'nope')).toThrow(UnknownStackError);
  expect(() => resolveStack(config, 'nope')).toThrow(/configured stacks: spacetime/);
});

test('error-log patterns are checked at load: invalid and catastrophic ones are refused with their path', () => {
  const withPattern = (p: string) =>
    configSchema.safeParse({ stacks: { s: { host: 'h', services: { a: {} }, errorLogPatterns: [p] } } });
  expect(withPattern('\\bERROR\\b').success).toBe(true);
  const invalid = withPattern('(unclosed');
  expect(invalid.success).toBe(false);
  expect(invalid.error?.issues[0]).toMatchObject({
    path: ['stacks', 's', 'errorLogPatterns', 0],
    message: expect.stringContaining('not a valid regular expression'),
  });
  const redos = withPattern('(a+)+$');
  expect(redos.error?.issues[0].message).toContain('backtrack catastrophically');
});

test('with people configured, an escalation level or a question nobody can hear is a config error at load', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'people-'));
  const file = path.join(dir, 'lifeline.yaml');
  const slack = { kind: 'slack', url: 'https://hooks.slack.com/services/T/B/x' };
  writeFileSync(
    file,
    stringify({
      stacks: { shop: { services: { web: {} } } },
      escalation: { levels: [{ name: 'on-call engineer' }, { name: 'senior ops', contacts: [slack] }] },
      people: [{ name: 'ann', roles: ['on-call engineer'], channels: [slack] }],
    }),
  );
  expect(() => loadConfig(file)).toThrow(/nobody has the role "security team"/);
  expect(() => loadConfig(file)).not.toThrow(/"senior ops"/); // that level's contacts hear it
  writeFileSync(
    file,
    stringify({
      stacks: { shop: { services: { web: {} } } },
      escalation: { levels: [{ name: 'on-call engineer' }, { name: 'senior ops', contacts: [slack] }] },
      people: [
        { name: 'ann', roles: ['on-call engineer'], channels: [slack] },
        {
          name: 'sam',
          roles: ['security team'],
          channels: [{ kind: 'pagerduty', routingKeyEnv: 'PAGERDUTY_SECURITY_KEY' }],
        },
      ],
    }),
  );
  expect(loadConfig(file).people.map((p) => p.name)).toEqual(['ann', 'sam']);
  // The routing key's variable is named for PagerDuty: the worker sends its value to the channel's URL.
  expect(() =>
    configSchema.parse({
      stacks: { shop: { services: { web: {} } } },
      people: [{ name: 'eve', roles: ['x'], channels: [{ kind: 'pagerduty', routingKeyEnv: 'TEMPORAL_API_KEY' }] }],
    }),
  ).toThrow(/contains PAGERDUTY/);
});

test('a two-person decision needs two people holding its role; an ingress fronts only services it may run twice', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'two-'));
  const file = path.join(dir, 'lifeline.yaml');
  const slack = { kind: 'slack', url: 'https://hooks.slack.com/services/T/B/x' };
  const person = (name: string, roles: string[]) => ({ name, roles, channels: [slack] });
  const write = (extra: object) =>
    writeFileSync(
      file,
      stringify({
        stacks: { shop: { services: { web: {} } } },
        people: [
          person('ann', [
            'on-call engineer',
            'senior ops',
            'infrastructure team',
            'CTO / VP Engineering',
            'security team',
          ]),
        ],
        ...extra,
      }),
    );
  write({ decisions: { twoPeople: ['breach approval'] } });
  expect(() => loadConfig(file)).toThrow(
    'decisions.twoPeople: breach approval needs two different people, but 1 hold the role "security team"',
  );
  write({
    decisions: { twoPeople: ['breach approval'] },
    people: [
      person('ann', ['on-call engineer', 'senior ops', 'infrastructure team', 'CTO / VP Engineering', 'security team']),
      person('cat', ['security team']),
    ],
  });
  expect(loadConfig(file).decisions.twoPeople).toEqual(['breach approval']);
  writeFileSync(
    file,
    stringify({
      stacks: {
        shop: {
          services: { web: {}, queue: { stopFirst: true } },
          ingress: {
            container: 'nginx',
            services: {
              web: { upstream: 'web', ports: [8001, 8002] },
              queue: { upstream: 'q', ports: [8003, 8004] },
              ghost: { upstream: 'g', ports: [8005, 8006] },
            },
          },
        },
      },
    }),
  );
  expect(() => loadConfig(file)).toThrow(
    /stacks\.shop\.ingress\.services\.queue: declared stopFirst[\s\S]*stacks\.shop\.ingress\.services\.ghost: not one of the stack's services/,
  );
});
