/** The named API tokens file (LIFELINE_API_TOKENS_FILE): checked whole at start, errors naming the file and entry. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/config-error';
import { loadApiTokens } from '../../src/config/api-tokens';
import { TokenTable } from '../../src/api/tokens';

const DIR = mkdtempSync(path.join(os.tmpdir(), 'api-tokens-'));
const ALERTS = 'alerts-token-0123456789abcdefghijklmnop';
const ALICE = 'alice-token-0123456789abcdefghijklmnopq';
const ADMIN = 'admin-token-0123456789abcdefghijklmnopq';
let n = 0;
const file = (content: unknown): string => {
  const f = path.join(DIR, `tokens-${n++}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};
const entry = (over: object = {}) => ({ name: 'alertmanager', token: ALERTS, scopes: ['alerts'], ...over });
/** The error a file gives: a ConfigError naming the file, and never a token's text. */
const errorOf = (f: string): string => {
  try {
    loadApiTokens(f);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toContain(f);
    for (const secret of [ALERTS, ALICE, 'secret-in-bad-json']) expect(message).not.toContain(secret);
    return message;
  }
  throw new Error(`${f} loaded without an error`);
};

test('the example of the docs loads: names, scopes, and stacks for a token limited to them', () => {
  const tokens = loadApiTokens(
    file({
      tokens: [
        entry(),
        { name: 'ops-alice', token: ALICE, scopes: ['operate', 'read'], stacks: ['spacetime'] },
        { name: 'web-ui', token: `web-${ALICE}`, scopes: ['codec'] },
      ],
    }),
  );
  expect(tokens.map((t) => [t.name, t.scopes, t.stacks])).toEqual([
    ['alertmanager', ['alerts'], undefined],
    ['ops-alice', ['operate', 'read'], ['spacetime']],
    ['web-ui', ['codec'], undefined],
  ]);
  expect(loadApiTokens(file({ tokens: [] }))).toEqual([]);
});

test('a file that is not JSON says so, and where when the parser says, without quoting it', () => {
  expect(errorOf(file('{"tokens": [{"token": secret-in-bad-json}]}'))).toMatch(/is not valid JSON$/);
  expect(errorOf(file('{\n"tokens": [\n{"name": "a"}\n'))).toMatch(/is not valid JSON \(line 4, column 1\)$/);
  expect(errorOf(path.join(DIR, 'missing.json'))).toContain('cannot be read: ENOENT');
});

test('a short or spaced token is refused, naming the entry', () => {
  expect(errorOf(file({ tokens: [entry({ token: 'short' })] }))).toContain(
    'tokens[0] ("alertmanager").token: use 32 or more visible characters',
  );
  expect(errorOf(file({ tokens: [entry({ token: `${ALERTS} x` })] }))).toContain('tokens[0] ("alertmanager").token');
});

test('duplicate names and duplicate tokens are refused, naming both entries', () => {
  const names = errorOf(file({ tokens: [entry(), entry({ token: ALICE })] }));
  expect(names).toContain('tokens[1] ("alertmanager").name: name used by entry 0');
  const tokens = errorOf(file({ tokens: [entry(), entry({ name: 'grafana' })] }));
  expect(tokens).toContain('tokens[1] ("grafana").token: token used by entry 0');
});

test('unknown scopes, missing scopes, unknown keys and reserved names are refused', () => {
  // The bad value is not echoed: it could be a token pasted into the wrong field.
  const scope = errorOf(file({ tokens: [entry({ scopes: ['alerts', ALICE] })] }));
  expect(scope).toContain(
    'tokens[0] ("alertmanager").scopes.1: unknown scope; scopes are alerts, operate, read, codec',
  );
  expect(errorOf(file({ tokens: [entry({ scopes: [] })] }))).toContain('tokens[0] ("alertmanager").scopes');
  expect(errorOf(file({ tokens: [entry({ scope: ['alerts'] })] }))).toContain("Unrecognized key(s) in object: 'scope'");
  expect(errorOf(file({ tokens: [entry({ name: 'admin' })] }))).toContain('.name: this name is reserved by Lifeline');
  expect(errorOf(file({ tokens: [entry({ name: 'has space' })] }))).toContain('tokens[0].name: letters, digits');
  expect(errorOf(file({ token: [] }))).toContain('tokens: Required');
});

test('stacks limit operate and read only', () => {
  expect(errorOf(file({ tokens: [entry({ stacks: ['spacetime'] })] }))).toContain(
    'tokens[0] ("alertmanager").stacks: stacks limit operate and read only',
  );
  expect(errorOf(file({ tokens: [entry({ scopes: ['read'], stacks: ['Bad Name'] })] }))).toContain('.stacks.0');
});

test('the API refuses a named token equal to the admin token, or naming a stack its config does not hold', () => {
  const [alice] = loadApiTokens(
    file({ tokens: [{ name: 'ops-alice', token: ALICE, scopes: ['operate'], stacks: ['spacetime'] }] }),
  );
  expect(() => new TokenTable(ALICE, [alice], ['spacetime'], [])).toThrow(
    'API token ops-alice is the admin token (LIFELINE_API_TOKEN): give it one of its own',
  );
  expect(() => new TokenTable(ADMIN, [alice], ['other'], [])).toThrow(
    'API token ops-alice names stack "spacetime", which the config does not hold',
  );
  const table = new TokenTable(ADMIN, [alice], ['spacetime'], []);
  expect(table.find(ALICE)).toEqual({ name: 'ops-alice', scopes: ['operate'], stacks: ['spacetime'] });
  expect(table.find(ADMIN)).toEqual({ name: 'admin', scopes: ['alerts', 'operate', 'read', 'codec', 'seal'] });
  expect(table.find(ALICE.slice(1))).toBeUndefined();
});

test('a personal token has scope decide and names a person the config holds; only it has decide', () => {
  expect(errorOf(file({ tokens: [entry({ scopes: ['decide'] })] }))).toContain(
    'tokens[0] ("alertmanager").person: a personal token has scope decide and names its person',
  );
  expect(errorOf(file({ tokens: [entry({ scopes: ['read'], person: 'ann' })] }))).toContain(
    '.person: a personal token',
  );
  const [ann] = loadApiTokens(
    file({ tokens: [{ name: 'ann-phone', token: ALICE, scopes: ['decide'], person: 'ann' }] }),
  );
  expect(() => new TokenTable(ADMIN, [ann], [], ['bob'])).toThrow(
    'API token ann-phone is for "ann", who is not among the config\'s people',
  );
  expect(new TokenTable(ADMIN, [ann], [], ['ann']).find(ALICE)).toEqual({
    name: 'ann-phone',
    scopes: ['decide'],
    person: 'ann',
  });
});
