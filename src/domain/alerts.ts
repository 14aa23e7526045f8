/** An alert as Lifeline's triage sees it, whatever sent it. */
import type { Severity } from './decision-matrix';

export interface AlertEvent {
  source: 'alertmanager' | 'grafana' | 'generic';
  stack: string;
  name: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  fingerprint: string;
  startsAt: string;
  summary?: string;
  labels: Record<string, string>;
}
