/**
 * A Temporal client that records what would have reached the server, for the API's hostile-input tests:
 * each start-with-signal and update-with-start call, with its arguments as the API built them.
 */
import type { Client } from '@temporalio/client';

export interface RecordedCall {
  kind: 'signalWithStart' | 'executeUpdateWithStart';
  workflowId: string;
  /** The owner workflow's start input. */
  startArgs: unknown[];
  /** The signal's or update's arguments. */
  args: unknown[];
}

export function recordingClient(): { client: Client; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const workflow = {
    async signalWithStart(_type: string, opts: { workflowId: string; args: unknown[]; signalArgs: unknown[] }) {
      calls.push({ kind: 'signalWithStart', workflowId: opts.workflowId, startArgs: opts.args, args: opts.signalArgs });
      return { workflowId: opts.workflowId };
    },
    async executeUpdateWithStart(
      _update: unknown,
      opts: { args: unknown[]; startWorkflowOperation: { options: { workflowId: string; args: unknown[] } } },
    ) {
      const start = opts.startWorkflowOperation.options;
      calls.push({
        kind: 'executeUpdateWithStart',
        workflowId: start.workflowId,
        startArgs: start.args,
        args: opts.args,
      });
      const [request] = opts.args as [{ procedure: string }];
      return {
        outcome: 'started',
        workflowId: `${request.procedure}:recorded`,
        procedure: request.procedure,
        message: 'recorded',
      };
    },
    getHandle: (workflowId: string) => ({ workflowId }),
  };
  const client = { workflow, withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn() };
  return { client: client as unknown as Client, calls };
}
