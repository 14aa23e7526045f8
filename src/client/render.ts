/** Human renderings of procedure results. */
import { renderChecklist } from '../domain/checklist';
import type { OwnerState } from '../domain/owner';
import type { ProcedureProgress } from '../domain/procedure-types';
import { renderVerification, VerificationReport } from '../domain/verification';
import { colour, shown } from './output';
import { decisionHint } from './progress';

interface Outcome {
  workflowId: string;
  result?: unknown;
}

export function renderResult({ workflowId, result }: Outcome): string {
  if (result === undefined) return `started ${workflowId}\n  follow it with: lifeline status ${workflowId} --watch`;
  const r = result as {
    status?: string;
    toRelease?: string;
    release?: string;
    verification?: VerificationReport;
    rollback?: { verification?: VerificationReport };
    acknowledgedBy?: string;
  };
  const lines: string[] = [];
  switch (r.status) {
    case 'completed':
      lines.push(colour.green(`[SUCCESS] Rollback complete! Now on ${r.toRelease}.`));
      break;
    case 'rolled-back':
      lines.push(colour.yellow(`[ROLLED BACK] The deploy failed and ${r.release} was restored.`));
      break;
    case 'deployed':
      lines.push(colour.green(`[SUCCESS] Deployed; recorded as release ${r.release}.`));
      break;
    case 'escalated':
      lines.push(colour.yellow(`[ESCALATED] taken by ${r.acknowledgedBy}`));
      break;
    case 'isolated':
      lines.push(colour.yellow(`[ISOLATED] services stay down; clean deploy denied`));
      break;
    default:
      lines.push(`${workflowId}: ${JSON.stringify(result)}`);
  }
  const v = r.verification ?? r.rollback?.verification;
  if (v) lines.push(renderVerification(v));
  lines.push(colour.dim(`workflow ${workflowId}`));
  return lines.join('\n');
}

export function renderProgress(workflowId: string, p: ProcedureProgress, closedStatus?: string): string {
  const lines = [
    `${colour.bold(p.procedure)} on ${p.stack}  (${workflowId})`,
    `status: ${closedStatus ?? p.status}   step: ${shown(p.step)}   started: ${p.startedAt}`,
  ];
  if (p.fromRelease || p.toRelease) lines.push(`release: ${p.fromRelease ?? '?'} -> ${p.toRelease ?? '?'}`);
  if (p.escalationLevel) lines.push(`escalation level: ${p.escalationLevel}`);
  const hint = decisionHint(workflowId, p);
  if (hint) lines.push(colour.yellow(hint));
  lines.push('', renderChecklist(p.checklist));
  if (p.decisions.length) {
    lines.push('', 'decisions:');
    for (const d of p.decisions)
      lines.push(
        `  ${d.at} ${d.kind}${d.approved === false ? ' (denied)' : ''} by ${shown(d.by)}${d.reason ? `: ${shown(d.reason)}` : ''}`,
      );
  }
  return lines.join('\n');
}

/** A stack's state as its owner holds it: free, running or held, and what waits. */
export function renderOwnerState(o: OwnerState): string {
  const lines = [`stack ${o.stack}: ${o.state === 'held' ? colour.red('HELD') : o.state}`];
  if (o.hold)
    lines.push(
      `  held since ${o.hold.since} by ${o.hold.procedure} ${o.hold.workflowId}: ${shown(o.hold.reason)}`,
      `  only the ${o.hold.audience} lifts it: lifeline lift ${o.stack} --audience "${o.hold.audience}" --reason <why>`,
    );
  if (o.running)
    lines.push(`  running: ${o.running.procedure} ${o.running.workflowId} (by ${shown(o.running.requestedBy)})`);
  for (const q of o.queued) lines.push(`  queued: ${q.procedure} ${q.workflowId} (by ${shown(q.requestedBy)})`);
  for (const l of o.lifted.slice(-3))
    lines.push(`  lifted ${l.at} by ${shown(l.by)} (${l.audience}): ${shown(l.reason)}`);
  return lines.join('\n');
}
