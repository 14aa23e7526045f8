/**
 * Alert webhook payloads (Prometheus Alertmanager v4, Grafana, a small generic form) and their
 * translation into AlertEvents for a stack's triage, through the configured routing.
 */
import { z } from 'zod';
import type { AlertEvent } from './alerts';
import type { AlertRouting } from './config';
import type { Severity } from './decision-matrix';
import { stableStringify } from './stable-json';

const labels = z.record(z.string().max(1024)).refine((l) => Object.keys(l).length <= 64, 'at most 64 labels');
const timestamp = z.string().datetime({ offset: true });

const upstreamAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  // Bounded, so an alert always fits in a workflow payload: a 400 names the field instead of a 503 retried for ever.
  annotations: z
    .record(z.string().max(4096))
    .refine((a) => Object.keys(a).length <= 32, 'at most 32 annotations')
    .default({}),
  startsAt: timestamp,
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().max(128).optional(),
});

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: z
    .record(z.string().max(4096))
    .refine((a) => Object.keys(a).length <= 32, 'at most 32 annotations')
    .default({}),
  externalURL: z.string().default(''),
  alerts: z.array(upstreamAlert).min(1).max(1000),
});

export const grafanaPayloadSchema = alertmanagerPayloadSchema.extend({
  version: z.literal('1'),
  orgId: z.number().int().optional(),
  state: z.string().max(64).optional(),
  title: z.string().max(4096).optional(),
  message: z.string().max(16_384).optional(),
  alerts: z
    .array(upstreamAlert.extend({ values: z.record(z.number().nullable()).nullable().optional() }).passthrough())
    .min(1)
    .max(1000),
});

export const genericAlertSchema = z
  .object({
    stack: z.string(),
    name: z.string().min(1).max(200),
    severity: z.enum(['critical', 'high', 'medium', 'low']),
    status: z.enum(['firing', 'resolved']).default('firing'),
    startsAt: timestamp.optional(),
    fingerprint: z.string().min(1).max(128).optional(),
    summary: z.string().max(2000).optional(),
  })
  .strict();

export type UpstreamAlert = z.infer<typeof upstreamAlert>;

export interface Routed {
  events: AlertEvent[];
  /** Alerts that named no configured stack. */
  unrouted: { name: string; reason: string }[];
}

export function severityOf(routing: AlertRouting, alertname: string, labelValue: string | undefined): Severity {
  const rule = routing.rules.find((r) => r.alertname === alertname);
  if (rule) return rule.severity;
  return (labelValue && routing.severityMap[labelValue.toLowerCase()]) || 'low';
}

export function procedureOf(routing: AlertRouting, alertname: string): AlertRouting['rules'][number]['procedure'] {
  return routing.rules.find((r) => r.alertname === alertname)?.procedure ?? 'quick-rollback';
}

/** Alertmanager and Grafana alerts, routed to configured stacks. */
export function routeUpstreamAlerts(
  source: 'alertmanager' | 'grafana',
  alerts: UpstreamAlert[],
  routing: AlertRouting,
  stacks: readonly string[],
): Routed {
  const out: Routed = { events: [], unrouted: [] };
  for (const a of alerts) {
    const name = a.labels.alertname ?? 'unnamed';
    const stack = a.labels[routing.stackLabel] ?? routing.defaultStack;
    if (!stack || !stacks.includes(stack)) {
      out.unrouted.push({ name, reason: stack ? `unknown stack "${stack}"` : `no "${routing.stackLabel}" label` });
      continue;
    }
    out.events.push({
      source,
      stack,
      name,
      severity: severityOf(routing, name, a.labels[routing.severityLabel]),
      status: a.status,
      fingerprint: a.fingerprint ?? stableStringify(a.labels),
      startsAt: new Date(a.startsAt).toISOString(),
      summary: a.annotations.summary ?? a.annotations.description,
      labels: a.labels,
      procedure: procedureOf(routing, name),
    });
  }
  return out;
}

/** A generic alert for a known stack (the caller checks the stack); its name picks the procedure, as for Alertmanager. */
export function routeGenericAlert(
  a: z.infer<typeof genericAlertSchema>,
  receivedAt: Date,
  routing: AlertRouting,
): Routed {
  const startsAt = a.startsAt ? new Date(a.startsAt).toISOString() : receivedAt.toISOString();
  return {
    events: [
      {
        source: 'generic',
        stack: a.stack,
        name: a.name,
        severity: a.severity,
        status: a.status,
        fingerprint: a.fingerprint ?? `${a.stack}/${a.name}`,
        startsAt,
        summary: a.summary,
        labels: {},
        procedure: procedureOf(routing, a.name),
      },
    ],
    unrouted: [],
  };
}
