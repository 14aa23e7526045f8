import type { Client, WorkflowHandle } from '@temporalio/client';
import { waitUntilStarted } from '../../src/client/start-procedure';
import type { OwnerState } from '../../src/domain/owner';
import { ownerWorkflowId } from '../../src/domain/workflow-ids';
import { abortUpdate, liftHoldUpdate, ownerStateQuery } from '../../src/workflows/definitions';

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

/** Lifts a stack's hold, if it is held, as its audience would: tests that share a stack start each from free. */
export async function liftIfHeld(client: Client, stack: string): Promise<void> {
  const owner = client.workflow.getHandle(ownerWorkflowId(stack));
  const state = await owner.query(ownerStateQuery).catch(() => undefined);
  if (!state?.hold) return;
  await owner.executeUpdate(liftHoldUpdate, {
    args: [{ by: 'test', audience: state.hold.audience, reason: 'the next test starts from a free stack' }],
  });
}
