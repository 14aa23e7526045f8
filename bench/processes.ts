/** Lifeline's worker and API as their own processes, as deployed, with their resident memory sampled. */
import axios from 'axios';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnWorker, WorkerProcess } from '../test/harness/worker-process';
import { ADDRESS, BENCH_CONFIG_FILE, BUNDLE_FILE, CODEC_ENV, ROOT } from './lib';

export const API_TOKEN = 'bench-token-0123456789abcdefghijklmnop';

/** A worker process with both roles for `host`, on orchestration queue `taskQueue`, with the benchmark's keys. */
export const benchWorker = (host: string, taskQueue: string, chaosDelayMs?: number): Promise<WorkerProcess> =>
  spawnWorker({
    host,
    taskQueue,
    configFile: BENCH_CONFIG_FILE,
    address: ADDRESS,
    bundle: BUNDLE_FILE,
    chaosDelayMs,
    env: {
      ...CODEC_ENV,
      ...(process.env.BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : {}),
    },
  });

export interface ApiProcess {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/** The API process (`dist/api/main.js`) on 127.0.0.1:`port`, starting procedures on `taskQueue`. */
export async function benchApi(port: number, taskQueue: string): Promise<ApiProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/api/main.js')], {
    env: {
      ...process.env,
      ...CODEC_ENV,
      TEMPORAL_ADDRESS: ADDRESS,
      LIFELINE_CONFIG: BENCH_CONFIG_FILE,
      LIFELINE_TASK_QUEUE: taskQueue,
      LIFELINE_API_TOKEN: API_TOKEN,
      LIFELINE_API_HOST: '127.0.0.1',
      LIFELINE_API_PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (d) => (errors += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i > 300) throw new Error(`the API did not start:\n${errors}`);
    if ((await axios.get(`${url}/healthz`).catch(() => undefined))?.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid!,
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident memory of a process, in MB (VmRSS). */
export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]) / 1024;
}

/** Samples the resident memory of `pids` every 100 ms and keeps each one's peak. */
export class PeakRss {
  readonly peak = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: number[]) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  /** Processes that exited while sampled (a zombie has no VmRSS): the benchmark reports them. */
  readonly exited = new Set<number>();

  private sample(): void {
    for (const pid of this.pids) {
      if (this.exited.has(pid)) continue;
      try {
        this.peak.set(pid, Math.max(this.peak.get(pid) ?? 0, rssMb(pid)));
      } catch {
        this.exited.add(pid);
        console.error(`process ${pid} exited during the run`);
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
