/** A Lifeline worker in its own process, so a fault test can SIGKILL it like a crashed host. */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { BUNDLE_FILE, CODEC_ENV, harnessState, ROOT } from './paths';

export interface WorkerProcess {
  child: ChildProcess;
  kill(): void;
  stop(): Promise<void>;
  /** The last 16 KB the process wrote (stdout and stderr), for the report of an unexpected exit. */
  output(): string;
}

export async function spawnWorker(opts: {
  host: string;
  taskQueue: string;
  configFile: string;
  chaosDelayMs?: number;
  dockerHost?: string;
  address?: string;
  bundle?: string;
  /** LIFELINE_WORKER_ROLES: orchestration, host, or both (the default). */
  roles?: string;
  /** Applied last: e.g. another run's payload keys (the benchmarks'). */
  env?: NodeJS.ProcessEnv;
}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/worker/main.js')], {
    env: {
      ...process.env,
      ...CODEC_ENV,
      TEMPORAL_ADDRESS: opts.address ?? harnessState().address,
      LIFELINE_HOST: opts.host,
      LIFELINE_CONFIG: opts.configFile,
      LIFELINE_TASK_QUEUE: opts.taskQueue,
      LIFELINE_WORKFLOW_BUNDLE: opts.bundle ?? BUNDLE_FILE,
      ...(opts.roles ? { LIFELINE_WORKER_ROLES: opts.roles } : {}),
      ...(opts.chaosDelayMs ? { LIFELINE_CHAOS_ACTIVITY_DELAY_MS: String(opts.chaosDelayMs) } : {}),
      ...(opts.dockerHost ? { DOCKER_HOST: opts.dockerHost } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d).slice(-16_384));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (output.includes('lifeline worker:')) resolve();
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it started:\n${output}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    kill: () => child.kill('SIGKILL'),
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
