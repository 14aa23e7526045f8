/**
 * The production-shaped Temporal cluster of `npm run cluster` for the cluster tests: the real server on its
 * own PostgreSQL, split in a frontend process and a history+matching+worker ("backend") process, each of
 * which a test can SIGKILL and restart.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, TEST_DIR } from './paths';

const run = promisify(execFile);
const SCRIPT = path.join(ROOT, 'scripts/cluster.sh');

export interface Cluster {
  address: string;
  /** Where its data lives (PostgreSQL's data directory is `pg/` in it). */
  dir: string;
  /** The server processes' pids (each `cluster.sh server` execs the server, so the pid is the server's). */
  pids(): { frontend?: number; backend?: number };
  startBackend(): void;
  /** SIGKILL of the history+matching+worker process, as a crashed machine. */
  killBackend(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the cluster on `port` (the frontend's), with its data in `dir` (by default a new one in the test dir). */
export async function startCluster(port: number, dir = path.join(TEST_DIR, `cluster-${port}`)): Promise<Cluster> {
  const env = { ...process.env, LIFELINE_CLUSTER_DIR: dir, LIFELINE_CLUSTER_PORT: String(port) };
  await run('bash', [SCRIPT, 'prepare'], { env, maxBuffer: 16 << 20 });
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const processes = new Map<string, ChildProcess>();
  const start = (role: 'frontend' | 'backend') => {
    const child = spawn('bash', [SCRIPT, 'server', role], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(path.join(dir, 'logs', `${role}.log`), { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    processes.set(role, child);
  };
  const stopProcess = async (role: string, signal: NodeJS.Signals) => {
    const child = processes.get(role);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  const stopAll = async () => {
    await stopProcess('frontend', 'SIGTERM');
    await stopProcess('backend', 'SIGTERM');
    await run('bash', [SCRIPT, 'stop-db'], { env });
  };
  try {
    start('backend');
    await run('bash', [SCRIPT, 'wait-backend'], { env });
    start('frontend');
    await run('bash', [SCRIPT, 'setup'], { env });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    address: `127.0.0.1:${port}`,
    dir,
    pids: () => ({ frontend: processes.get('frontend')?.pid, backend: processes.get('backend')?.pid }),
    startBackend: () => start('backend'),
    killBackend: () => stopProcess('backend', 'SIGKILL'),
    stop: stopAll,
  };
}
