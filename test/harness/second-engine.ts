/** A second Docker engine on this machine (own socket, data root, exec root, pidfile): another "host". */
import Docker from 'dockerode';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { TEST_DIR } from './paths';

export const SECOND_ENGINE_SOCKET = '/run/lifeline-docker2.sock';
const ARGS = [
  '--bridge=none',
  '--iptables=false',
  '--ip6tables=false',
  '-H',
  `unix://${SECOND_ENGINE_SOCKET}`,
  '--data-root',
  '/var/lib/lifeline-docker2',
  '--exec-root',
  '/run/lifeline-docker2',
  '--pidfile',
  '/run/lifeline-docker2.pid',
];

export class SecondEngine {
  readonly docker = new Docker({ socketPath: SECOND_ENGINE_SOCKET });
  private daemon?: ChildProcess;

  async start(): Promise<void> {
    if (process.getuid?.() !== 0) {
      throw new Error(
        'the multi-host tests start a second dockerd and need root; run them with `npm test` as root (CI does)',
      );
    }
    mkdirSync(TEST_DIR, { recursive: true });
    const log = openSync(path.join(TEST_DIR, 'dockerd2.log'), 'a');
    this.daemon = spawn('dockerd', ARGS, { stdio: ['ignore', log, log] });
    for (let i = 0; i < 200; i++) {
      if (
        await this.docker.ping().then(
          () => true,
          () => false,
        )
      )
        return;
      if (this.daemon.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`second dockerd did not answer on ${SECOND_ENGINE_SOCKET}; see ${TEST_DIR}/dockerd2.log`);
  }

  async stop(): Promise<void> {
    const d = this.daemon;
    if (!d || d.exitCode !== null) return;
    const exited = new Promise((r) => d.once('exit', r));
    d.kill('SIGTERM');
    await exited;
  }
}
