/**
 * Decision passes: opaque, tamper-proof tokens sealed with the decision key (AES-256-GCM), which only the API
 * and the orchestration worker hold. Two purposes, each sealed so it cannot stand in for the other:
 * - `link`: the personal one-time link a question sends to one person (`<publicUrl>/decide/<pass>`);
 * - `proof`: what the API adds to a decision it authenticated (from a link, or a personal API token), so the
 *   workflow, through its worker, knows the person was authenticated by the API and not named by whoever
 *   reached Temporal.
 * Single use is the workflow's to enforce: it records each pass's nonce with the decision it carried.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';

export type PassPurpose = 'link' | 'proof';

const passSchema = z.strictObject({
  workflowId: z.string().min(1).max(200),
  /** The question it answers (`PendingDecision.id`): a pass dies with its question. */
  questionId: z.string().min(1).max(40),
  person: z.string().min(1).max(64),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  /** Epoch milliseconds. */
  expiresAt: z.number().int().positive(),
  /** How the person was authenticated: the link sent to them, or their personal API token. */
  via: z.enum(['link', 'api']),
  /** A proof's answer (the update's name) and release: what the person chose, sealed with who they are. */
  action: z.string().max(40).optional(),
  releaseId: z.string().max(200).optional(),
});
export type DecisionPass = z.infer<typeof passSchema>;

export class InvalidPass extends Error {
  /** `expired`: it was good once, and its time is over. */
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super(message);
    this.name = 'InvalidPass';
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** A pass in a URL stays well under any length a browser, proxy or chat client cuts. */
export const MAX_PASS_CHARS = 1024;

/** The cipher key for one purpose, derived from the decision key (at least 32 bytes of secret). */
function keyFor(secret: string, purpose: PassPurpose): Buffer {
  if (Buffer.byteLength(secret) < 32) throw new Error('the decision key must be 32 or more bytes');
  return Buffer.from(hkdfSync('sha256', secret, 'lifeline decision passes', `lifeline ${purpose} v1`, 32));
}

export const newNonce = (): string => randomBytes(18).toString('base64url');

export function sealPass(secret: string, purpose: PassPurpose, pass: DecisionPass): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyFor(secret, purpose), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(passSchema.parse(pass)), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The pass sealed in `token` for `purpose`; throws InvalidPass when it is malformed, tampered with or expired. */
export function openPass(secret: string, purpose: PassPurpose, token: string, now = Date.now()): DecisionPass {
  if (typeof token !== 'string' || token.length > MAX_PASS_CHARS || !/^[A-Za-z0-9_-]+$/.test(token))
    throw new InvalidPass('this link is not a Lifeline decision link');
  const raw = Buffer.from(token, 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) throw new InvalidPass('this link is not a Lifeline decision link');
  let json: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(secret, purpose), raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    json = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new InvalidPass('this link was not issued by this Lifeline, or was altered');
  }
  const pass = passSchema.parse(JSON.parse(json));
  if (pass.expiresAt <= now)
    throw new InvalidPass(`this link expired at ${new Date(pass.expiresAt).toISOString()}`, true);
  return pass;
}
