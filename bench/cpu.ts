/**
 * Where the CPU goes during a benchmark side: the machine's busy time (/proc/stat) and that of its long-lived
 * processes (/proc/<pid>/stat), so a ratio can be read as "waiting" or "saturated, and by whom".
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** Processes grouped by their command name (as /proc truncates it, 15 characters). */
const BY_COMMAND: Record<string, string> = {
  temporal: 'Temporal server',
  dockerd: 'dockerd',
  containerd: 'containerd',
  'containerd-shim': 'containerd shims',
};

type Ticks = Map<string, number>;

function machineBusyTicks(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .split(/\s+/)
    .map(Number);
  return user + nice + system + irq + softirq + steal;
}

/** utime + stime of one process, or undefined once it is gone. */
function processTicks(pid: number | string): { command: string; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    // Fields after the command: state is 3rd overall, utime the 14th and stime the 15th.
    return { command: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

export class CpuMeter {
  private readonly totals = new Map<string, number>();

  /** `named`: processes of ours by pid (the worker, the API), reported under these names. */
  constructor(private readonly named: Record<string, number> = {}) {}

  private snapshot(): Ticks {
    const t: Ticks = new Map([['machine (2 cores = 2 s per s)', machineBusyTicks()]]);
    for (const [name, pid] of Object.entries(this.named)) t.set(name, processTicks(pid)?.ticks ?? 0);
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      const p = processTicks(pid);
      const group = p && BY_COMMAND[p.command];
      if (group) t.set(group, (t.get(group) ?? 0) + p.ticks);
    }
    return t;
  }

  /** Runs `work` and adds the CPU seconds spent meanwhile to this meter's totals. */
  async measure<T>(work: () => Promise<T>): Promise<T> {
    const before = this.snapshot();
    try {
      return await work();
    } finally {
      const after = this.snapshot();
      // A shim that exited during the run takes its ticks with it: that group is a lower bound.
      for (const [k, v] of after) this.totals.set(k, (this.totals.get(k) ?? 0) + Math.max(0, v - (before.get(k) ?? 0)));
    }
  }

  /** CPU seconds per process group, per round. */
  perRound(rounds: number): Record<string, number> {
    return Object.fromEntries(
      [...this.totals].map(([k, v]) => [k, Number((v / TICKS_PER_SECOND / rounds).toFixed(2))] as const),
    );
  }
}
