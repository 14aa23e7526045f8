/**
 * Payload encryption, following Temporal's convention (samples-typescript `encryption`): each payload is
 * serialized whole and sealed with AES-256-GCM; metadata says `binary/encrypted` and names the key, so keys
 * can rotate (new payloads use the current key; older keys still decode). Histories then hold ciphertext:
 * container env, webhook URLs and every other input or result are unreadable without the key.
 */
import { METADATA_ENCODING_KEY, Payload, PayloadCodec, ValueError } from '@temporalio/common';
import { decode, encode } from '@temporalio/common/lib/encoding';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface CodecKeys {
  /** The key new payloads are sealed with. */
  currentKeyId: string;
  /** Every key that may have sealed a stored payload, by ID (32 bytes each). */
  keys: Map<string, Buffer>;
}

/**
 * What decoding does with a payload that is not sealed: workers and clients refuse it (fail closed: whoever
 * can reach Temporal cannot hand a worker plaintext arguments without the key); the Web UI's codec endpoint
 * shows it as stored, since it only displays what the history already holds.
 */
export type Unsealed = 'refuse' | 'show';

/**
 * A payload that holds no value (null or undefined, `binary/null`): passed through, as the SDK and the server
 * make such payloads themselves (empty details, a void result) and it cannot carry anyone's arguments.
 */
const carriesNoValue = (payload: Payload): boolean =>
  !!payload.metadata &&
  decode(payload.metadata[METADATA_ENCODING_KEY]) === 'binary/null' &&
  (payload.data?.length ?? 0) === 0;

/**
 * Payloads the Temporal server writes itself, constant and carrying nobody's arguments: an activity cancelled
 * before a worker started it gets `"ACTIVITY_ID_NOT_STARTED"` as its cancellation details. Refusing it would
 * wedge the procedure that cancelled the activity (an abort at the wrong moment).
 */
const SERVER_MADE = new Set(['"ACTIVITY_ID_NOT_STARTED"']);
const madeByTheServer = (payload: Payload): boolean =>
  !!payload.metadata &&
  decode(payload.metadata[METADATA_ENCODING_KEY]) === 'json/plain' &&
  SERVER_MADE.has(Buffer.from(payload.data ?? []).toString('utf8'));

/** What a refused payload is, without its values (which may be secrets): a JSON value's type and keys. */
function shapeOf(payload: Payload): string {
  try {
    const value: unknown = JSON.parse(Buffer.from(payload.data ?? []).toString('utf8'));
    if (Array.isArray(value)) return `a JSON array of ${value.length}`;
    if (value && typeof value === 'object')
      return `a JSON object with keys ${Object.keys(value).slice(0, 12).join(', ')}`;
    return `a JSON ${value === null ? 'null' : typeof value}`;
  } catch {
    return `${payload.data?.length ?? 0} bytes`;
  }
}

export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly keys: CodecKeys,
    private readonly unsealed: Unsealed = 'refuse',
  ) {
    for (const [id, key] of keys.keys)
      if (key.length !== 32) throw new Error(`codec key ${id} must be 32 bytes (AES-256), not ${key.length}`);
    if (!keys.keys.has(keys.currentKeyId))
      throw new Error(`codec key ${keys.currentKeyId} is not among the loaded keys`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.keys.get(this.keys.currentKeyId)!;
    return payloads.map((payload) => {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const sealed = Buffer.concat([
        cipher.update(temporal.api.common.v1.Payload.encode(payload).finish()),
        cipher.final(),
      ]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: encode(this.keys.currentKeyId),
        },
        data: Buffer.concat([nonce, sealed, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!payload.metadata || decode(payload.metadata[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) {
        if (this.unsealed === 'show' || carriesNoValue(payload) || madeByTheServer(payload)) return payload;
        const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
        throw new ValueError(
          `refusing a payload that is not encrypted with a Lifeline codec key (encoding ${encoding ? JSON.stringify(decode(encoding)) : 'none'}, ${shapeOf(payload)})`,
        );
      }
      const keyIdBytes = payload.metadata[KEY_ID_METADATA];
      if (!keyIdBytes) throw new ValueError('encrypted payload without an encryption-key-id');
      const keyId = decode(keyIdBytes);
      const key = this.keys.keys.get(keyId);
      if (!key) throw new ValueError(`no codec key "${keyId}" is loaded: add it to the key file to read this payload`);
      const data = Buffer.from(payload.data ?? []);
      if (data.length < NONCE_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is too short');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
