/**
 * Starting procedures from the CLI and the API: every request goes to the stack's owner by
 * update-with-start, which answers started, joined, queued or busy.
 */
import { readEnv } from '../config/env';
import { status } from '@grpc/grpc-js';
import {
  Client,
  isGrpcServiceError,
  WithStartWorkflowOperation,
  WorkflowHandle,
  WorkflowIdConflictPolicy,
} from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { StackRef } from '../domain/config';
import type { OwnerReply, ProcedureRequest } from '../domain/owner';
import type { OwnedProcedure, WhenBusy } from '../domain/ownership';
import { ownerWorkflowId, procedureStartMetadata } from '../domain/workflow-ids';
import { ORCHESTRATION_TASK_QUEUE } from '../domain/task-queues';
import { requestProcedureUpdate } from '../workflows/definitions';
import type { PROCEDURE_WORKFLOWS } from '../workflows/owner/procedure-workflows';
import type { StackOwnerInput } from '../workflows/stack-owner';

export interface OwnerOptions {
  taskQueue?: string;
  /** Triage's approval timeout, used only when this request is the one that starts the owner. */
  approvalTimeoutSeconds?: number;
}

/** How the stack's owner workflow is started when it is not running yet (by update- or signal-with-start). */
export function ownerStartOptions(named: StackRef, opts: OwnerOptions) {
  const stack = { name: named.name };
  const input: StackOwnerInput = { stack, approvalTimeoutSeconds: opts.approvalTimeoutSeconds ?? 1800 };
  return {
    workflowId: ownerWorkflowId(stack.name),
    taskQueue: opts.taskQueue ?? readEnv().LIFELINE_TASK_QUEUE ?? ORCHESTRATION_TASK_QUEUE,
    args: [input] as [StackOwnerInput],
    ...procedureStartMetadata('stack-owner', {
      stack,
      trigger: 'api',
      reason: 'owns the stack: one procedure at a time, alert triage',
      requestedBy: 'lifeline',
    }),
  };
}

/** Each owned procedure's workflow function, so a started procedure's handle knows its result type. */
export type ProcedureWorkflow<P extends OwnedProcedure> = (typeof PROCEDURE_WORKFLOWS)[P];

export interface StartedProcedure<P extends OwnedProcedure = OwnedProcedure> {
  reply: OwnerReply;
  /** The procedure that runs this request (for `busy`, the one holding the stack). */
  handle: WorkflowHandle<ProcedureWorkflow<P>>;
}

export async function startProcedure<P extends OwnedProcedure>(
  client: Client,
  procedure: P,
  args: ProcedureRequest['args'],
  opts: OwnerOptions & { whenBusy?: WhenBusy; requestKey?: string; force?: boolean } = {},
): Promise<StartedProcedure<P>> {
  // The stack by name only: its settings are the worker's own config, whatever this client's config says.
  const request: ProcedureRequest = {
    procedure,
    args: { ...args, stack: { name: args.stack.name } },
    whenBusy: opts.whenBusy ?? 'refuse',
    requestKey: opts.requestKey,
    ...(opts.force ? { force: true } : {}),
  };
  // One update ID for every attempt: the server answers a repeat with the first attempt's outcome.
  const updateId = randomUUID();
  const deadline = Date.now() + UPDATE_WITH_START_PATIENCE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const reply = await client.workflow.executeUpdateWithStart(requestProcedureUpdate, {
        args: [request],
        updateId,
        startWorkflowOperation: new WithStartWorkflowOperation('stackOwner', {
          ...ownerStartOptions(args.stack, opts),
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        }),
      });
      return { reply, handle: client.workflow.getHandle<ProcedureWorkflow<P>>(reply.workflowId) };
    } catch (err) {
      // The server gives up on an update that no worker has accepted yet (a worker starting cold): ask again.
      if (!isGrpcServiceError(err) || err.code !== status.UNAVAILABLE || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, Math.min(200 * attempt, 2000)));
    }
  }
}

const UPDATE_WITH_START_PATIENCE_MS = 60_000;

/** Waits until a queued procedure has been started by the owner, so it can be followed. */
export async function waitUntilStarted(handle: WorkflowHandle, pollMs = 500): Promise<void> {
  for (;;) {
    try {
      await handle.describe();
      return;
    } catch (err) {
      if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
