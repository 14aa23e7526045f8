/** Activities on the Docker host itself: free disk space and configured host commands. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';

export function createHostMachineActivities() {
  return {
    /** Free and total bytes of the file system holding `path` (`df -h`). */
    async diskFree(path: string): Promise<{ freeBytes: number; totalBytes: number }> {
      try {
        const s = await statfs(path);
        return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
      } catch (err) {
        throw ApplicationFailure.nonRetryable(`cannot read free space of ${path}: ${(err as Error).message}`, 'BadInput');
      }
    },

    /** Runs a command from the config (never a shell string), with a bound; a non-zero exit is a failure. */
    async runHostCommand(argv: string[], timeoutSeconds: number): Promise<{ output: string }> {
      if (argv.length === 0) throw ApplicationFailure.nonRetryable('empty host command', 'BadInput');
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(argv[0]), 2000);
      try {
        return await new Promise((resolve, reject) => {
          execFile(argv[0], argv.slice(1), { timeout: timeoutSeconds * 1000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
            const output = `${stdout}${stderr}`.slice(-4000);
            if (err) reject(ApplicationFailure.create({ message: `${argv[0]} failed: ${err.message.split('\n')[0]}`, type: 'HostCommandFailed', details: [output] }));
            else resolve({ output });
          });
        });
      } finally {
        clearInterval(beat);
      }
    },
  };
}
