/** The structured result of the runbook's "Rollback Verification". */
import type { CheckResult } from './smoke';

export interface VerificationReport {
  passed: boolean;
  healthy: string;
  checks: CheckResult[];
  errorLines: { service: string; line: string }[];
  monitorSamples: number;
}

export function renderVerification(r: VerificationReport): string {
  const lines = [`${r.passed ? 'PASSED' : 'FAILED'}: ${r.healthy}`];
  for (const c of r.checks) lines.push(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  if (r.errorLines.length) lines.push(`  ${r.errorLines.length} error line(s) in logs`);
  if (r.monitorSamples) lines.push(`  monitored: ${r.monitorSamples} sample(s)`);
  return lines.join('\n');
}
