/**
 * Where the CPU goes during a benchmark side: the machine's busy time (/proc/stat) and that of its long-lived
 * processes (/proc/<pid>/stat), so a ratio can be read as "waiting" or "saturated, and by whom".
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** Groups reported per round: the busiest commands (as /proc truncates them, 15 characters). */
const GROUPS_KEPT = 10;

type Ticks = Map<string, number>;
const MACHINE = 'machine, all processes and the kernel';

function machineBusyTicks(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .split(/\s+/)
    .map(Number);
  return user + nice + system + irq + softirq + steal;
}

/**
 * utime + stime of one process (all its threads), and cutime + cstime: what its children that it reaped
 * spent (short-lived processes such as runc or a forked httpd are only seen there). Undefined once gone.
 */
function processTicks(pid: number | string): { command: string; ticks: number; reaped: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    // Fields after the command: utime, stime, cutime, cstime are the 14th to 17th overall.
    const f = stat
      .slice(close + 2)
      .split(' ')
      .map(Number);
    return { command: stat.slice(stat.indexOf('(') + 1, close), ticks: f[11] + f[12], reaped: f[13] + f[14] };
  } catch {
    return undefined;
  }
}

export class CpuMeter {
  private readonly totals = new Map<string, number>();

  /** `named`: processes of ours by pid (the worker, the API), reported under these names. */
  constructor(private readonly named: Record<string, number> = {}) {}

  private snapshot(): Ticks {
    const t: Ticks = new Map([[MACHINE, machineBusyTicks()]]);
    for (const [name, pid] of Object.entries(this.named)) t.set(name, processTicks(pid)?.ticks ?? 0);
    const ours = new Set(Object.values(this.named).map(String));
    const add = (k: string, v: number) => t.set(k, (t.get(k) ?? 0) + v);
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      const p = processTicks(pid);
      if (!p) continue;
      if (!ours.has(pid)) add(p.command, p.ticks);
      if (p.reaped) add(`${p.command}'s reaped children`, p.reaped);
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

  /** CPU seconds per round: the machine, our processes, then the busiest other groups. */
  perRound(rounds: number): Record<string, number> {
    const fixed = [MACHINE, ...Object.keys(this.named)];
    const others = [...this.totals].filter(([k]) => !fixed.includes(k)).sort((a, b) => b[1] - a[1]);
    return Object.fromEntries(
      [...fixed.map((k) => [k, this.totals.get(k) ?? 0] as const), ...others.slice(0, GROUPS_KEPT)].map(
        ([k, v]) => [k, Number((v / TICKS_PER_SECOND / rounds).toFixed(2))] as const,
      ),
    );
  }
}
