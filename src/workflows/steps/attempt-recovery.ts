import type { ProcedureInput } from '../../domain/procedure-types';
import type { VerificationReport } from '../../domain/verification';
import type { Procedure } from '../procedure-state';
import { messageOf, verificationFailure, verify } from './finish-rollback';
import { rethrowIfStopped } from './owned';

/**
 * One recovery attempt of an emergency procedure: run it, then verify. A failure is recorded in the
 * timeline and returned as undefined, so the procedure can go on to its next step.
 */
export async function attemptRecovery(
  p: Procedure,
  input: ProcedureInput,
  label: string,
  run: () => Promise<unknown>,
  sinceUnix: number,
): Promise<VerificationReport | undefined> {
  try {
    await p.step(label, run);
  } catch (err) {
    rethrowIfStopped(p, err);
    p.record(`${label} failed`, messageOf(err));
    return undefined;
  }
  const verification = await verify(p, input, sinceUnix);
  if (verification.passed) return verification;
  p.record(`${label} failed`, verificationFailure(verification));
  return undefined;
}
