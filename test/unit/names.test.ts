import fc from 'fast-check';
import { assertImageTag, assertReleaseId, assertStackName, InvalidNameError } from '../../src/domain/names';

test.each(['../etc', 'a/b', 'spacetime;rm -rf /', '$(id)', '', 'A', '.hidden', 'x'.repeat(64), 'a\0b', 'a b'])(
  'stack name %j is refused',
  (name) => expect(() => assertStackName(name)).toThrow(InvalidNameError),
);

test.each(['../20251202-143022', '20251202-143022/..', '2025120-143022', '20251202_143022', '20251202-143022\n'])(
  'release ID %j is refused',
  (id) => expect(() => assertReleaseId(id)).toThrow(/release IDs look like/),
);

test('valid names pass unchanged', () => {
  expect(assertStackName('spacetime')).toBe('spacetime');
  expect(assertReleaseId('20251202-143022')).toBe('20251202-143022');
  expect(assertImageTag('v2.4.9')).toBe('v2.4.9');
});

test('no accepted stack name or release ID can leave its folder or reach a shell', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
      for (const check of [assertStackName, assertReleaseId, assertImageTag]) {
        let ok: string | undefined;
        try {
          ok = check(s);
        } catch {
          continue;
        }
        expect(ok).not.toMatch(/[/\\\0\s;$`|&<>'"]|\.\./);
      }
    }),
    { numRuns: 2000 },
  );
});
