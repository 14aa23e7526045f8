import type { ProcedureInput } from '../../domain/procedure-types';
import type { VerificationReport } from '../../domain/verification';
import type { Procedure } from '../procedure-state';
import { escalateFailedRollback, messageOf, verificationFailure, verify } from './finish-rollback';
import { rethrowIfStopped } from './owned';

/** What a procedure says about its own restore; the rest of the tail is the same for every procedure. */
export interface RestoreTail<R> {
  /** Where the verification window starts. */
  sinceUnix: number;
  /** Read after the restore when what came before must not count (blue-green counts after the switch). */
  verifiesFrom?: () => number;
  /** Brings the target back. */
  restore: () => Promise<unknown>;
  /** "release r-1 did not come up healthy: <error>" */
  restoreFailed: (error: string) => string;
  /** Runs before the failure path when the restore threw (e.g. marking the target known-bad). */
  afterRestoreFailed?: (error: string) => Promise<unknown>;
  /** "verification failed: ..." by default. */
  verificationFailed?: (failure: string) => string;
  /** The one failure path; by default the runbook's "Failed ──→ Emergency Procedure" (rollback-failed). */
  fail?: (why: string) => Promise<R>;
  /** A verified restore. */
  complete: (verification: VerificationReport, sinceUnix: number) => Promise<R>;
}

/**
 * The runbook's shared tail, "restore → verify → complete or emergency": one path for every failure, as in
 * the saga sample. A cancel (abort, preemption) is never treated as a failed restore.
 */
export async function restoreAndVerify<R>(p: Procedure, input: ProcedureInput, tail: RestoreTail<R>): Promise<R> {
  const fail = tail.fail ?? ((why: string) => escalateFailedRollback(p, input, why));
  try {
    await tail.restore();
  } catch (err) {
    rethrowIfStopped(p, err);
    const error = messageOf(err);
    p.tick('No errors during rollback', 'failed', error);
    await tail.afterRestoreFailed?.(error);
    return fail(tail.restoreFailed(error));
  }
  p.tick('No errors during rollback');
  const sinceUnix = tail.verifiesFrom?.() ?? tail.sinceUnix;
  const verification = await verify(p, input, sinceUnix);
  if (!verification.passed) {
    const failure = verificationFailure(verification);
    return fail(tail.verificationFailed ? tail.verificationFailed(failure) : failure);
  }
  return tail.complete(verification, sinceUnix);
}
