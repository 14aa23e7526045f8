import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { CodecKeyError, ensureCodecKeyFile, loadCodecKeys, parseKeyFile } from '../../src/codec/keys';

const keyLine = (id: string) => `${id} ${randomBytes(32).toString('base64')}`;
const payload = (v: unknown) => defaultPayloadConverter.toPayload(v);

test('sealed payloads carry no plain text, and open again to the same payload', async () => {
  const codec = new EncryptionCodec(parseKeyFile(keyLine('k1'), 'keys'));
  const [sealed] = await codec.encode([payload({ env: ['DB_PASSWORD=hunter2'] })]);
  expect(Buffer.from(sealed.data!).includes('hunter2')).toBe(false);
  expect(Buffer.from(sealed.metadata!['encryption-key-id']!).toString()).toBe('k1');
  const [opened] = await codec.decode([sealed]);
  expect(defaultPayloadConverter.fromPayload(opened)).toEqual({ env: ['DB_PASSWORD=hunter2'] });
  // Two encodings of the same value differ (fresh nonce).
  const [again] = await codec.encode([payload({ env: ['DB_PASSWORD=hunter2'] })]);
  expect(Buffer.from(again.data!).equals(Buffer.from(sealed.data!))).toBe(false);
});

test('fails closed: a payload that is not sealed is refused by workers and clients, and only shown by the UI endpoint', async () => {
  const keys = parseKeyFile(keyLine('k1'), 'keys');
  const plain = payload({ spec: { privileged: true, binds: ['/:/host'] } });
  // The refusal names the payload's shape, never its values.
  await expect(new EncryptionCodec(keys).decode([plain])).rejects.toThrow(
    'refusing a payload that is not encrypted with a Lifeline codec key (encoding "json/plain", a JSON object with keys spec)',
  );
  expect(await new EncryptionCodec(keys, 'show').decode([plain])).toEqual([plain]);
  // Only a payload holding no value passes unsealed (the SDK and server make those: empty details, void results).
  const none = defaultPayloadConverter.toPayload(undefined);
  expect(await new EncryptionCodec(keys).decode([none])).toEqual([none]);
  const nullWithData = { ...none, data: Buffer.from('{"x":1}') };
  await expect(new EncryptionCodec(keys).decode([nullWithData])).rejects.toThrow(
    '(encoding "binary/null", a JSON object with keys x)',
  );
  // The server's own cancellation details of an activity no worker started pass; any other plain string does not.
  const notStarted = defaultPayloadConverter.toPayload('ACTIVITY_ID_NOT_STARTED');
  expect(await new EncryptionCodec(keys).decode([notStarted])).toEqual([notStarted]);
  await expect(
    new EncryptionCodec(keys).decode([defaultPayloadConverter.toPayload('ACTIVITY_ID_NOT_STARTED; rm -rf /')]),
  ).rejects.toThrow('(encoding "json/plain", a JSON string)');
});

test('rotation: a new current key still opens payloads sealed with the older one; tampering and unknown keys are refused', async () => {
  const old = keyLine('k-old');
  const before = new EncryptionCodec(parseKeyFile(old, 'keys'));
  const [sealed] = await before.encode([payload('secret')]);
  const after = new EncryptionCodec(parseKeyFile(`${keyLine('k-new')}\n${old}\n`, 'keys'));
  expect(defaultPayloadConverter.fromPayload((await after.decode([sealed]))[0])).toBe('secret');
  const [fresh] = await after.encode([payload('x')]);
  expect(Buffer.from(fresh.metadata!['encryption-key-id']!).toString()).toBe('k-new');

  const tampered = { ...sealed, data: Buffer.from(sealed.data!).map((b, i) => (i === 20 ? b ^ 1 : b)) };
  await expect(after.decode([tampered])).rejects.toThrow(/auth/i);
  await expect(new EncryptionCodec(parseKeyFile(keyLine('other'), 'keys')).decode([sealed])).rejects.toThrow(
    'no codec key "k-old" is loaded',
  );
});

test('keys: a missing key is a clear error; the generated key file is private and kept once made', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codec-'));
  expect(() => loadCodecKeys(dir, {})).toThrow(CodecKeyError);
  expect(() => loadCodecKeys(dir, {})).toThrow(/npm start` creates it; or set LIFELINE_CODEC_KEY/);
  const file = path.join(dir, 'codec-keys');
  ensureCodecKeyFile(file);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const first = readFileSync(file, 'utf8');
  ensureCodecKeyFile(file);
  expect(readFileSync(file, 'utf8')).toBe(first);
  expect(loadCodecKeys(dir, {}).keys.size).toBe(1);
  expect(() => loadCodecKeys(dir, { LIFELINE_CODEC_KEY: 'c2hvcnQ=' })).toThrow('a codec key is 32 bytes');
  writeFileSync(file, '# nothing\n');
  expect(() => loadCodecKeys(dir, {})).toThrow('holds no key');
});
