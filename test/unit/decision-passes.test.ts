/** Decision links and proofs: sealed, personal, bound to one question, expiring, and useless for anything else. */
import { InvalidPass, newNonce, openPass, sealPass, type DecisionPass } from '../../src/codec/decision-passes';

const KEY = 'unit-decision-key-0123456789abcdefghijklmnop';
const NOW = Date.parse('2026-12-05T12:00:00Z');
const pass = (over: Partial<DecisionPass> = {}): DecisionPass => ({
  workflowId: 'security-breach:spacetime:20261205-120000',
  questionId: '1.abcdef0123456789',
  person: 'ann',
  nonce: newNonce(),
  expiresAt: NOW + 60_000,
  via: 'link',
  ...over,
});

test('a sealed link opens to exactly what was sealed, and reveals nothing of it', () => {
  const p = pass();
  const token = sealPass(KEY, 'link', p);
  expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  for (const field of [p.person, p.workflowId, p.questionId]) expect(token).not.toContain(field);
  expect(openPass(KEY, 'link', token, NOW)).toEqual(p);
  // Two links for the same question and person differ (fresh IV): one cannot be told from, or derived from, the other.
  expect(sealPass(KEY, 'link', p)).not.toBe(token);
});

test('an expired link is refused, naming when it expired', () => {
  const token = sealPass(KEY, 'link', pass());
  expect(() => openPass(KEY, 'link', token, NOW + 60_000)).toThrow(/expired at 2026-12-05T12:01:00.000Z/);
  expect(() => openPass(KEY, 'link', token, NOW + 59_999)).not.toThrow();
});

test('a tampered link is refused: any flipped byte, a truncation, an extension', () => {
  const token = sealPass(KEY, 'link', pass());
  const raw = Buffer.from(token, 'base64url');
  for (let i = 0; i < raw.length; i++) {
    const bent = Buffer.from(raw);
    bent[i] ^= 0x01;
    expect(() => openPass(KEY, 'link', bent.toString('base64url'), NOW)).toThrow(InvalidPass);
  }
  expect(() => openPass(KEY, 'link', token.slice(0, -4), NOW)).toThrow(InvalidPass);
  expect(() => openPass(KEY, 'link', `${token}AAAA`, NOW)).toThrow(InvalidPass);
});

test('a link is not a proof, another key opens nothing, and junk is refused without work', () => {
  const token = sealPass(KEY, 'link', pass());
  expect(() => openPass(KEY, 'proof', token, NOW)).toThrow(/not issued by this Lifeline/);
  expect(() => openPass(`${KEY}x`, 'link', token, NOW)).toThrow(/not issued by this Lifeline/);
  for (const junk of ['', 'a', '../../etc/passwd', 'x'.repeat(5000), '%00'])
    expect(() => openPass(KEY, 'link', junk, NOW)).toThrow(/not a Lifeline decision link/);
  expect(() => openPass(KEY, 'link', { length: 1e9 } as unknown as string, NOW)).toThrow(InvalidPass);
});

test('a short key is refused when sealing', () => {
  expect(() => sealPass('short', 'link', pass())).toThrow(/32 or more bytes/);
});
