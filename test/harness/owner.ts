import type { Client, WorkflowHandle } from '@temporalio/client';
import { sendLift } from '../../src/api/decisions';
import { waitUntilStarted } from '../../src/client/start-procedure';
import type { OwnerState } from '../../src/domain/owner';
import { ownerWorkflowId } from '../../src/domain/workflow-ids';
import { abortUpdate, liftHoldUpdate, ownerStateQuery } from '../../src/workflows/definitions';
import { TEST_DECISION_KEY } from './env';

/** The follow-up procedure a failed one named: the stack's owner starts it right after the failure is reported. */
export async function followUp(client: Client, workflowId: string): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(workflowId);
  await waitUntilStarted(handle, 100);
  return handle;
}

/** The procedures a stack's owner started that are rollbacks or emergencies (backups left out). */
export const rollbacksOf = (s: OwnerState): string[] => s.started.filter((id) => !id.startsWith('backup:'));

/** Aborts a procedure a test is done with and waits for it to wind down, so none of its containers outlives the test. */
export async function abortAndWait(handle: WorkflowHandle): Promise<void> {
  await handle.executeUpdate(abortUpdate, { args: [{ by: 'test', reason: 'test over' }] }).catch(() => undefined);
  await handle.result().catch(() => undefined);
}

/**
 * Lifts a stack's hold, if it is held, as its audience would: tests that share a stack start each from free.
 * `person` (of the audience) lifts it through an authenticated decision, as the API sends it.
 */
export async function liftIfHeld(client: Client, stack: string, person?: string): Promise<void> {
  const owner = client.workflow.getHandle(ownerWorkflowId(stack));
  const state = await owner.query(ownerStateQuery).catch(() => undefined);
  if (!state?.hold) return;
  const reason = 'the next test starts from a free stack';
  if (person) {
    await sendLift(client, TEST_DECISION_KEY, { stack, hold: state.hold, person, reason }, Date.now());
    return;
  }
  await owner.executeUpdate(liftHoldUpdate, { args: [{ by: 'test', audience: state.hold.audience, reason }] });
}
