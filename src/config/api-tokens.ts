/**
 * Named API tokens with scopes, from the JSON file LIFELINE_API_TOKENS_FILE names, so each sender and person
 * gets only what it needs: `{"tokens":[{"name":"alertmanager","token":"...","scopes":["alerts"]}]}`.
 * Errors name the file and the entry, never a token.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { stackNameSchema } from '../domain/names';
import { ConfigError } from './config-error';

/**
 * `seal` (encoding payloads with the codec key) is the admin token's alone: a sealed payload is as good as
 * the key to whoever reaches Temporal, so it would open every procedure past `operate` and its stacks.
 */
export const API_SCOPES = ['alerts', 'operate', 'read', 'codec', 'decide', 'seal'] as const;
export type ApiScope = (typeof API_SCOPES)[number];
const NAMED_SCOPES = ['alerts', 'operate', 'read', 'codec', 'decide'] as const;

/** 32 or more visible characters (openssl rand -base64 32): nothing guessable, no blank, no space to trim. */
export const STRONG_TOKEN = /^[\x21-\x7e]{32,}$/;

/** The principals Lifeline names itself: the single token of LIFELINE_API_TOKEN, and a valid HMAC signature. */
export const ADMIN_TOKEN_NAME = 'admin';
export const SIGNATURE_SENDER_NAME = 'webhook-signature';

/** Names go into logs, messages, `requestedBy` and the codec's session cookie: plain words only. */
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Stacks limit what names a stack (starting procedures, reading workflows); alerts and the codec do not. */
const PER_STACK_SCOPES: readonly ApiScope[] = ['operate', 'read'];

const tokenEntry = z
  .strictObject({
    name: z
      .string()
      .regex(TOKEN_NAME, 'letters, digits, ".", "_" and "-" (max 64), starting with a letter or digit')
      .refine((n) => n !== ADMIN_TOKEN_NAME && n !== SIGNATURE_SENDER_NAME, 'this name is reserved by Lifeline'),
    token: z.string().regex(STRONG_TOKEN, 'use 32 or more visible characters (openssl rand -base64 32)'),
    // The message leaves the value out: a token pasted into the wrong field stays out of the logs.
    scopes: z.array(z.enum(NAMED_SCOPES, { message: `unknown scope; scopes are ${NAMED_SCOPES.join(', ')}` })).min(1),
    stacks: z.array(stackNameSchema).min(1).optional(),
    /** The person (of the config's `people`) this token is: its decisions are recorded as theirs. */
    person: z.string().min(1).max(64).optional(),
  })
  .refine((t) => t.scopes.includes('decide') === (t.person !== undefined), {
    message: 'a personal token has scope decide and names its person; only a personal token has scope decide',
    path: ['person'],
  })
  .refine((t) => !t.stacks || t.scopes.every((s) => PER_STACK_SCOPES.includes(s)), {
    message: 'stacks limit operate and read only: give alerts and codec to a token without stacks',
    path: ['stacks'],
  });
export type ApiToken = z.infer<typeof tokenEntry>;

const tokensFile = z.strictObject({ tokens: z.array(tokenEntry) }).superRefine(({ tokens }, ctx) => {
  tokens.forEach((t, i) => {
    const first = tokens.findIndex((o) => o.name === t.name);
    if (first < i)
      ctx.addIssue({ code: 'custom', path: ['tokens', i, 'name'], message: `name used by entry ${first}` });
    const same = tokens.findIndex((o) => o.token === t.token);
    if (same < i)
      ctx.addIssue({ code: 'custom', path: ['tokens', i, 'token'], message: `token used by entry ${same}` });
  });
});

/** `tokens[1] ("alertmanager").token`: the entry by index and, when it has a valid one, by name. */
function issuePath(json: unknown, path: (string | number)[]): string {
  if (path[0] !== 'tokens' || typeof path[1] !== 'number') return path.join('.') || '(file)';
  const name = (json as { tokens: { name?: unknown }[] }).tokens[path[1]]?.name;
  const label = typeof name === 'string' && TOKEN_NAME.test(name) ? ` ("${name}")` : '';
  return [`tokens[${path[1]}]${label}`, ...path.slice(2)].join('.');
}

/** Where JSON.parse stopped, as line and column: its message may quote the text, which holds tokens. */
function jsonErrorAt(text: string, err: unknown): string {
  const position = /at position (\d+)/.exec((err as Error).message)?.[1];
  if (position === undefined) return '';
  const before = text.slice(0, Number(position)).split('\n');
  return ` (line ${before.length}, column ${before.at(-1)!.length + 1})`;
}

export function loadApiTokens(file: string): ApiToken[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`the API tokens file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`the API tokens file ${file} is not valid JSON${jsonErrorAt(text, err)}`);
  }
  const parsed = tokensFile.safeParse(json);
  if (parsed.success) return parsed.data.tokens;
  const issues = parsed.error.issues.map((i) => `  ${issuePath(json, i.path)}: ${i.message}`);
  throw new ConfigError(`the API tokens file ${file} is invalid:\n${issues.join('\n')}`);
}
