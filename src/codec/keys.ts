/**
 * Where the payload keys live: LIFELINE_CODEC_KEY (base64, 32 bytes) or LIFELINE_CODEC_KEYS_FILE, else the
 * key file `<dataDir>/codec-keys` that `npm start` creates once (mode 600). The file has one key a line,
 * `<id> <base64>`; the first line is the current key, later lines are older keys kept for reading.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CodecKeys } from './encryption-codec';

export class CodecKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecKeyError';
  }
}

const keyId = (key: Buffer) => `k-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

function parseKey(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32)
    throw new CodecKeyError(
      `${where}: a codec key is 32 bytes in base64 (openssl rand -base64 32), got ${key.length} bytes`,
    );
  return key;
}

export function parseKeyFile(text: string, file: string): CodecKeys {
  const keys = new Map<string, Buffer>();
  let currentKeyId: string | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [id, b64] = line.split(/\s+/);
    if (!id || !b64) throw new CodecKeyError(`${file}:${i + 1}: expected "<key id> <base64 key>"`);
    keys.set(id, parseKey(b64, `${file}:${i + 1}`));
    currentKeyId ??= id;
  }
  if (!currentKeyId) throw new CodecKeyError(`${file} holds no key`);
  return { currentKeyId, keys };
}

/** The keys every Lifeline client and worker use. Without any, a clear error names how to provide one. */
export function loadCodecKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): CodecKeys {
  const single = env.LIFELINE_CODEC_KEY?.trim();
  if (single) {
    const key = parseKey(single, 'LIFELINE_CODEC_KEY');
    return { currentKeyId: keyId(key), keys: new Map([[keyId(key), key]]) };
  }
  const file = env.LIFELINE_CODEC_KEYS_FILE ?? path.join(dataDir, 'codec-keys');
  if (!existsSync(file)) {
    throw new CodecKeyError(
      `no payload encryption key: ${file} does not exist. \`npm start\` creates it; or set LIFELINE_CODEC_KEY ` +
        `(openssl rand -base64 32) or LIFELINE_CODEC_KEYS_FILE. Every Lifeline process needs the same key.`,
    );
  }
  return parseKeyFile(readFileSync(file, 'utf8'), file);
}

/** On first start (no key in the environment), creates `<dataDir>/codec-keys`, as the API token is created. */
export function ensureDefaultCodecKeyFile(dataDir: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.LIFELINE_CODEC_KEY?.trim() || env.LIFELINE_CODEC_KEYS_FILE) return;
  ensureCodecKeyFile(path.join(dataDir, 'codec-keys'));
}

/** Creates the key file once, atomically and private (mode 600); an existing file is kept as it is. */
export function ensureCodecKeyFile(file: string): void {
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(
    tmp,
    `# Lifeline payload encryption keys: the first is current; keep older ones to read older histories.\n${keyId(key)} ${key.toString('base64')}\n`,
    { mode: 0o600 },
  );
  try {
    linkSync(tmp, file); // fails if another process created it first: theirs wins
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  chmodSync(file, 0o600);
}
