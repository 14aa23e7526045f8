/** An alert as Lifeline's triage sees it, whatever sent it. */
import type { Severity } from './decision-matrix';
import type { AlertRule } from './config';

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
  /** Set by the API from the routing rules: what a rollback decision starts. */
  procedure?: AlertRule['procedure'];
}

/** Identity of one alert notification: the same alert, status and start are one event however often sent. */
export const dedupKey = (e: AlertEvent): string => `${e.stack}|${e.fingerprint}|${e.status}|${e.startsAt}`;
