/**
 * The incident's recovery time, phase by phase, from a procedure's timeline: how long people took to decide,
 * the swap, the wait for health, verification and the watch after it, against the runbook's RTO (< 3 minutes
 * from the incident to a healthy stack). Pure: the report, its chart and the CLI all read it from here.
 */
import type { TimelineEntry } from './incident';

/** ROLLBACK_PROCEDURES.md: "Recovery Time Objective (RTO): < 3 minutes". */
export const RTO_SECONDS = 180;

export type PhaseName = 'decision' | 'swap' | 'healthy' | 'verified' | 'watched';

export interface RecoveryPhase {
  phase: PhaseName;
  from: string;
  to: string;
  ms: number;
}

export interface Recovery {
  /** When the incident began for Lifeline: the alert's or the request's procedure start. */
  startedAt: string;
  phases: RecoveryPhase[];
  /** From the start to the end of the health wait (undefined: the stack never got there). */
  toHealthyMs?: number;
  withinRto?: boolean;
}

const SWAP = /^(stop current version, start target version|start target version beside|restore previous config)/;
const HEALTH = /^wait for health/;
const isAnswer = (step: string) =>
  /^(ack|approval|choose-release|confirm-step)\b.* by /.test(step) || step === 'decision timed out';

const ms = (from: string, to: string) => Date.parse(to) - Date.parse(from);

/** The entry after index `i` whose step starts a new phase of work (any step recorded after it). */
const nextAt = (t: readonly TimelineEntry[], i: number) => t[i + 1]?.at ?? t[i].at;

export function recoveryOf(timeline: readonly TimelineEntry[]): Recovery | undefined {
  if (timeline.length === 0) return undefined;
  const t = timeline;
  const startedAt = t[0].at;
  const phases: RecoveryPhase[] = [];
  const add = (phase: PhaseName, from: string, to: string) =>
    phases.push({ phase, from, to, ms: Math.max(0, ms(from, to)) });
  // People: from each question to its answer (the waits add up as one phase).
  for (let i = 0; i < t.length; i++) {
    if (!t[i].step.startsWith('waiting for ')) continue;
    const answer = t.findIndex((e, j) => j > i && isAnswer(e.step));
    if (answer > i) add('decision', t[i].at, t[answer].at);
  }
  const swap = t.findIndex((e) => SWAP.test(e.step));
  const health = t.findIndex((e, j) => j > swap && HEALTH.test(e.step));
  if (swap >= 0) add('swap', t[swap].at, health > swap ? t[health].at : nextAt(t, swap));
  let toHealthyMs: number | undefined;
  if (health >= 0) {
    const healthyAt = nextAt(t, health);
    add('healthy', t[health].at, healthyAt);
    toHealthyMs = Math.max(0, ms(startedAt, healthyAt));
    const verify = t.findIndex((e, j) => j > health && e.step === 'verify');
    const verified = t.findIndex((e, j) => j > verify && e.step === 'verification');
    if (verify >= 0 && verified > verify) {
      add('verified', t[verify].at, t[verified].at);
      const end = t[t.length - 1].at;
      if (ms(t[verified].at, end) > 0) add('watched', t[verified].at, end);
    }
  }
  return {
    startedAt,
    phases,
    toHealthyMs,
    withinRto: toHealthyMs === undefined ? undefined : toHealthyMs < RTO_SECONDS * 1000,
  };
}

export const seconds = (msValue: number) => `${(msValue / 1000).toFixed(1)} s`;

/** The phases as a Markdown table, with the time to healthy against the RTO. */
export function recoveryTable(r: Recovery): string {
  const rows = r.phases.map((p) => `| ${p.phase} | ${p.from} | ${seconds(p.ms)} |`);
  const verdict =
    r.toHealthyMs === undefined
      ? 'The stack was not brought to healthy by this procedure.'
      : `Time to healthy: ${seconds(r.toHealthyMs)}, ${r.withinRto ? 'within' : 'over'} the RTO of ${RTO_SECONDS} s.`;
  return ['| phase | from | duration |', '| --- | --- | --- |', ...rows, '', verdict].join('\n');
}

/** One line for the CLI: `decision 12.0 s · swap 1.2 s · healthy 3.4 s · ... (healthy after 20.1 s; RTO 180 s)`. */
export function recoveryLine(r: Recovery): string {
  const total = r.toHealthyMs === undefined ? '' : ` (healthy after ${seconds(r.toHealthyMs)}; RTO ${RTO_SECONDS} s)`;
  return `${r.phases.map((p) => `${p.phase} ${seconds(p.ms)}`).join(' · ')}${total}`;
}
