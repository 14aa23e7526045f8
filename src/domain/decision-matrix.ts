/** The runbook's decision matrix: severity × duration → action. */
export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type MatrixAction = 'rollback-now' | 'rollback' | 'monitor-closely' | 'consider-rollback' | 'monitor' | 'log';

const HIGH_THRESHOLD_MS = 5 * 60_000;
const MEDIUM_THRESHOLD_MS = 15 * 60_000;

/** `durationMs` is how long the issue has lasted. "Over 5 minutes" means strictly longer. */
export function decide(severity: Severity, durationMs: number): MatrixAction {
  switch (severity) {
    case 'critical':
      return 'rollback-now';
    case 'high':
      return durationMs > HIGH_THRESHOLD_MS ? 'rollback' : 'monitor-closely';
    case 'medium':
      return durationMs > MEDIUM_THRESHOLD_MS ? 'consider-rollback' : 'monitor';
    case 'low':
      return 'log';
  }
}

/** How long to wait before the matrix's answer for `severity` can change; undefined when it never does. */
export function nextDecisionPointMs(severity: Severity, durationMs: number): number | undefined {
  const threshold = severity === 'high' ? HIGH_THRESHOLD_MS : severity === 'medium' ? MEDIUM_THRESHOLD_MS : undefined;
  if (threshold === undefined || durationMs > threshold) return undefined;
  return threshold - durationMs + 1;
}

export const actionRollsBack = (a: MatrixAction): boolean => a === 'rollback-now' || a === 'rollback';
export const actionAsksPerson = (a: MatrixAction): boolean => a === 'consider-rollback';
