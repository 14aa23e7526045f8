/** Runbook "Escalation Path", on its own: notify a level, wait for its acknowledgement, move up on silence. */
import type { ProcedureInput } from '../domain/procedure';
import { Procedure } from './procedure';
import { EscalatedResult, escalateAndFinish } from './steps/escalate';

export async function escalation(input: ProcedureInput & { fromLevel?: number }): Promise<EscalatedResult> {
  const p: Procedure = new Procedure('escalation', input.stack.name);
  p.tick('Incident logged', 'done', input.reason);
  return escalateAndFinish(p, input.stack, input.fromLevel ?? 1, input.reason);
}
