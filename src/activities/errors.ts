/** Turns low-level failures into Temporal failures that say whether a retry can help. */
import { ApplicationFailure } from '@temporalio/common';
import { InvalidNameError } from '../domain/names';
import { UnknownReleaseError } from '../store/release-store';

export const badInput = (message: string, details?: unknown): ApplicationFailure =>
  ApplicationFailure.create({
    message,
    type: 'BadInput',
    nonRetryable: true,
    details: details === undefined ? [] : [details],
  });

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** Docker engine errors: unreachable engines are retryable; 4xx from the engine means the request itself is wrong. */
export function dockerFailure(action: string, err: unknown): ApplicationFailure {
  const e = err as { code?: string; statusCode?: number; message?: string; json?: { message?: string } };
  const reason = e.json?.message ?? e.message ?? String(err);
  if (e.code && UNAVAILABLE_CODES.has(e.code)) {
    return ApplicationFailure.create({
      message: `${action}: Docker engine unreachable (${e.code})`,
      type: 'DockerUnavailable',
    });
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500 && e.statusCode !== 409) {
    return ApplicationFailure.create({ message: `${action}: ${reason}`, type: 'DockerRejected', nonRetryable: true });
  }
  return ApplicationFailure.create({ message: `${action}: ${reason}`, type: 'DockerError' });
}

export const statusCodeOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/** Store errors as Temporal failures: bad names and unknown releases are never worth a retry. */
export async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InvalidNameError) throw ApplicationFailure.nonRetryable(err.message, 'BadInput');
    if (err instanceof UnknownReleaseError) throw ApplicationFailure.nonRetryable(err.message, 'UnknownRelease');
    throw err;
  }
}
