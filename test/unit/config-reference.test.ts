/** docs/CONFIG-REFERENCE.md is the config schema: every field documented, nothing documented that is gone. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configFields, FIELD_DOCS, renderConfigReference } from '../../src/config/reference';

test('every field of the config schema has its entry, and every entry names a field', () => {
  const fields = configFields().map((f) => f.path);
  expect(fields.filter((f) => !FIELD_DOCS[f])).toEqual([]);
  expect(Object.keys(FIELD_DOCS).filter((k) => !fields.includes(k))).toEqual([]);
  expect(fields).toContain('stacks.<name>.timeouts.monitorSeconds');
  expect(configFields().find((f) => f.path === 'stacks.<name>.retainReleases')?.default).toBe('10');
});

test('the checked-in reference is the generated one (npm run docs:config)', () => {
  const file = readFileSync(path.join(__dirname, '../../docs/CONFIG-REFERENCE.md'), 'utf8');
  expect(file).toBe(renderConfigReference());
});
