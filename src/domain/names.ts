/**
 * Names that end up in file paths, container names and workflow IDs.
 * Everything is validated against a strict allow-list so that path tricks
 * ("../", "/", NUL) and shell metacharacters never reach the file system or Docker.
 */
import { z } from 'zod';

const STACK_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const SERVICE_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const RELEASE_ID = /^\d{8}-\d{6}$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** An environment a stack serves (production, staging, ...). */
export const environmentSchema = z
  .string()
  .regex(/^[a-z0-9-]{1,32}$/, 'environments are lower-case letters, digits and "-" (max 32)');
export const stackNameSchema = z
  .string()
  .regex(
    STACK_NAME,
    'stack names are lower-case letters, digits, "-" and "_" (max 63), starting with a letter or digit',
  );
export const serviceNameSchema = z
  .string()
  .regex(SERVICE_NAME, 'service names are lower-case letters, digits, ".", "-" and "_" (max 63)');
export const releaseIdSchema = z.string().regex(RELEASE_ID, 'release IDs look like 20251202-143022 (YYYYMMDD-HHMMSS)');
export const imageTagSchema = z.string().regex(IMAGE_TAG, 'image tags are letters, digits, "_", "." and "-" (max 128)');

export class InvalidNameError extends Error {
  constructor(kind: string, value: string, rule: string) {
    super(`invalid ${kind} ${JSON.stringify(value)}: ${rule}`);
    this.name = 'InvalidNameError';
  }
}

function check(schema: z.ZodString, kind: string, value: unknown): string {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidNameError(kind, String(value), parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}

export const assertStackName = (v: unknown): string => check(stackNameSchema, 'stack name', v);
export const assertReleaseId = (v: unknown): string => check(releaseIdSchema, 'release ID', v);
export const assertImageTag = (v: unknown): string => check(imageTagSchema, 'image tag', v);
