import type { Client, WorkflowHandle } from '@temporalio/client';
import { waitUntilStarted } from '../../src/client/start-procedure';
import type { OwnerState } from '../../src/domain/owner';
import { abortUpdate } from '../../src/workflows/definitions';

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
