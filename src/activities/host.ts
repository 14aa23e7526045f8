/** Activities on the Docker host itself: free disk space and configured host commands. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import type { ResolvedStack } from '../domain/config';

/** The host commands a stack may configure; what each runs comes from the worker's own config only. */
export type HostCommand = 'firewallCommand' | 'dockerRestartCommand';

export function createHostMachineActivities() {
  return {
    /** Free and total bytes of the file system holding the stack's Docker data root (`df -h`). */
    async diskFree(stack: ResolvedStack): Promise<{ freeBytes: number; totalBytes: number }> {
      const path = stack.emergency.dockerDataRoot;
      try {
        const s = await statfs(path);
        return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
      } catch (err) {
        throw ApplicationFailure.nonRetryable(
          `cannot read free space of ${path}: ${(err as Error).message}`,
          'BadInput',
        );
      }
    },

    /**
     * Runs a stack's configured host command. The stack is this worker's own pinned copy (the worker's
     * ActivityArgumentsInterceptor refuses any other), so whoever can start a workflow cannot run anything else
     * here. Never a shell string; bounded; a non-zero exit is a failure.
     */
    async runHostCommand(
      stack: ResolvedStack,
      command: HostCommand,
      timeoutSeconds: number,
    ): Promise<{ output: string }> {
      const argv = stack.emergency[command];
      if (!argv?.length)
        throw ApplicationFailure.nonRetryable(
          `this worker's config has no ${command} for stack ${stack.name}; nothing ran`,
          'BadInput',
        );
      const ctx = Context.current();
      // At once and every second: the heartbeat timeout may be as short as the stack's activityHeartbeatSeconds.
      ctx.heartbeat(argv[0]);
      const beat = setInterval(() => ctx.heartbeat(argv[0]), 1000);
      try {
        return await new Promise((resolve, reject) => {
          execFile(
            argv[0],
            argv.slice(1),
            { timeout: timeoutSeconds * 1000, maxBuffer: 1 << 20 },
            (err, stdout, stderr) => {
              const output = `${stdout}${stderr}`.slice(-4000);
              if (err)
                reject(
                  ApplicationFailure.create({
                    message: `${argv[0]} failed: ${err.message.split('\n')[0]}`,
                    type: 'HostCommandFailed',
                    details: [output],
                  }),
                );
              else resolve({ output });
            },
          );
        });
      } finally {
        clearInterval(beat);
      }
    },
  };
}
