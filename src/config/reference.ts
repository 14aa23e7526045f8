/**
 * The configuration reference (docs/CONFIG-REFERENCE.md), generated from the config schema: every field with
 * its type and default from zod, and what it does (and the runbook part it implements) from FIELD_DOCS. A unit
 * test fails when a field has no entry here, an entry names no field, or the checked-in file is out of date.
 */
import { z } from 'zod';
import { configSchema } from '../domain/config';

export interface FieldRow {
  path: string;
  type: string;
  default?: string;
}

const S = 'stacks.<name>';
/** What each field does; `runbook:` names the part of ROLLBACK_PROCEDURES.md it implements. */
export const FIELD_DOCS: Record<string, string> = {
  dataDir: 'Where releases, reports, keys and pinned configs live (relative to the config file).',
  [`${S}.host`]: 'The Docker host whose worker runs this stack (its task queue is lifeline-host-<host>).',
  [`${S}.project`]: 'The compose project (com.docker.compose.project label); defaults to the stack name.',
  [`${S}.services.<name>.container`]: 'Container name; without it, containers are found by compose labels.',
  [`${S}.services.<name>.healthUrl`]: 'HTTP health probe (runbook: Rollback Verification, health checks).',
  [`${S}.services.<name>.appImage`]: 'Whether an image-tag rollback retags this service (runbook: Method 3).',
  [`${S}.services.<name>.stopFirst`]: 'Cannot run twice: swapped stop-first, alone, behind an ingress.',
  [`${S}.configFiles[]`]: 'Compose files and .env a release records and restores (runbook: Method 1).',
  [`${S}.volumes[]`]: 'Volumes of the stack (runbook: Data Corruption, volume backups).',
  [`${S}.backupVolumes`]: 'Whether each release archives the volumes (runbook: Pre-rollback backup).',
  [`${S}.retainReleases`]: 'Releases kept per stack (runbook: Clean up old backups).',
  [`${S}.statusUrl`]: 'The status API checked after a rollback (runbook: Verification, status API).',
  [`${S}.smokeTests[].name`]: 'Smoke test name (runbook: Verification, smoke tests).',
  [`${S}.smokeTests[].url`]: 'URL the smoke test requests (loopback).',
  [`${S}.smokeTests[].method`]: 'HTTP method.',
  [`${S}.smokeTests[].expectStatus`]: 'Expected HTTP status.',
  [`${S}.smokeTests[].bodyContains`]: 'Text the body must contain.',
  [`${S}.smokeTests[].jsonPath`]: 'JSON path read from the body.',
  [`${S}.smokeTests[].jsonEquals`]: 'Value the JSON path must equal.',
  [`${S}.smokeTests[].maxLatencyMs`]: 'Slowest acceptable answer.',
  [`${S}.errorLogPatterns[]`]: 'Regexes of error lines (runbook: Verification, no errors in logs).',
  [`${S}.errorLogLines`]: 'Log lines read per container when scanning.',
  [`${S}.prometheus.url`]: 'Prometheus checked after a rollback (runbook: Verification, metrics).',
  [`${S}.prometheus.checks[].name`]: 'Metric check name.',
  [`${S}.prometheus.checks[].query`]: 'PromQL query.',
  [`${S}.prometheus.checks[].op`]: 'Comparison with the threshold.',
  [`${S}.prometheus.checks[].threshold`]: 'Bound the values must meet.',
  [`${S}.prometheus.checks[].allowEmpty`]: 'Whether an empty result passes.',
  [`${S}.integrityCheck.type`]: 'http or exec (runbook: Data Corruption, integrity check).',
  [`${S}.integrityCheck.url`]: 'http: URL that answers when the data is sound.',
  [`${S}.integrityCheck.expectStatus`]: 'http: expected status.',
  [`${S}.integrityCheck.service`]: 'exec: the service to run the command in.',
  [`${S}.integrityCheck.command[]`]: 'exec: the command; exit 0 means sound.',
  [`${S}.blueGreen.nginxContainer`]: 'The nginx switched between blue and green (runbook: Method 5).',
  [`${S}.blueGreen.upstreamFile`]: 'Upstream file inside nginx that Lifeline rewrites.',
  [`${S}.blueGreen.upstreamName`]: 'The upstream block name.',
  [`${S}.blueGreen.blue.project`]: 'Blue compose project.',
  [`${S}.blueGreen.blue.servers[]`]: "Blue's upstream servers.",
  [`${S}.blueGreen.green.project`]: 'Green compose project.',
  [`${S}.blueGreen.green.servers[]`]: "Green's upstream servers.",
  [`${S}.blueGreen.stopGreen`]: 'Stop green once traffic has left it.',
  [`${S}.ingress.container`]:
    'The nginx in front of the services: every release rollback is gapless (docs/GAPLESS.md).',
  [`${S}.ingress.upstreamFile`]: 'Upstream file inside it that Lifeline rewrites.',
  [`${S}.ingress.configFile`]: 'nginx config checked with nginx -t before a reload.',
  [`${S}.ingress.services.<name>.upstream`]: 'The upstream block the service belongs to.',
  [`${S}.ingress.services.<name>.ports`]: 'The two ports it listens on in turn (host networking).',
  [`${S}.ingress.services.<name>.portEnv`]: 'The env var it reads its listen port from.',
  [`${S}.environment`]: 'The environment served; a trigger naming another is refused (runbook: GitHub Actions).',
  [`${S}.emergency.minFreeDiskBytes`]: 'Below this, the outage frees space (runbook: Complete Service Outage).',
  [`${S}.emergency.dockerDataRoot`]: "Where Docker's data lives, for the disk check.",
  [`${S}.emergency.dockerRestartCommand[]`]:
    'Restarts Docker (runbook: systemctl restart docker); unset: a person confirms.',
  [`${S}.emergency.firewallCommand[]`]: 'Blocks traffic after a breach (runbook: Security Breach, isolate).',
  [`${S}.emergency.ingressContainer`]: 'Stopped first when isolating a breach.',
  [`${S}.emergency.olderReleaseLimit`]: 'Older releases the outage tries (runbook: try older release).',
  [`${S}.emergency.personTimeoutSeconds`]: 'How long a person has to confirm a manual step before escalation.',
  [`${S}.timeouts.stopGraceSeconds`]: 'Grace period of a container stop.',
  [`${S}.timeouts.healthWaitSeconds`]: 'How long a rollback waits for health (runbook: Monitor progress).',
  [`${S}.timeouts.deployHealthSeconds`]: 'How long a watched deploy waits for health.',
  [`${S}.timeouts.healthStableSeconds`]: 'Healthy this long without a flap.',
  [`${S}.timeouts.monitorSeconds`]: 'Verification window (runbook: Automatic Rollback, 5-minute monitor).',
  [`${S}.timeouts.monitorIntervalSeconds`]: 'Sampling interval inside the window.',
  [`${S}.timeouts.postRollbackMonitorSeconds`]: 'Watch after a verified rollback (runbook: Post-Rollback Actions).',
  [`${S}.timeouts.dockerUnavailableSeconds`]: 'How long an unreachable engine is retried.',
  [`${S}.timeouts.activityHeartbeatSeconds`]: 'Silence after which a host activity counts as lost.',
  'notifications[].kind': 'slack or webhook (runbook: Notify stakeholders).',
  'notifications[].url': 'Where notices go.',
  'escalation.levels[].name': 'The level, also a role people hold (runbook: Escalation Path).',
  'escalation.levels[].contacts[].kind': 'slack or webhook.',
  'escalation.levels[].contacts[].url': "Where the level's contacts are told.",
  'escalation.levels[].ackTimeoutSeconds': 'Silence before the next level is asked.',
  'people[].name': 'A person who answers questions (docs/PEOPLE.md).',
  'people[].roles[]': 'Roles held: escalation levels and the runbook audiences (security team, ...).',
  'people[].channels[].kind': 'slack, webhook or pagerduty.',
  'people[].channels[].url': 'Webhook URL, or the PagerDuty Events API URL.',
  'people[].channels[].routingKeyEnv': 'PagerDuty: env var holding the routing key (name contains PAGERDUTY).',
  'github.apiUrl': 'GitHub API base (runbook: Method 4, GitHub Actions).',
  'github.repo': 'owner/name where incidents are opened as issues.',
  'api.host': 'Address the HTTP API listens on.',
  'api.port': 'Port the HTTP API listens on.',
  'api.publicUrl': 'Where people reach the API; decision links are <publicUrl>/decide/<pass>.',
  'decisions.linkTtlSeconds': 'Lifetime of a decision link whose question has no deadline.',
  'decisions.twoPeople[]': 'Decisions two different people must approve (breach approval, volume prune).',
  'audit.webhookUrl': 'Each audit record is also posted here (runbook: Post-Rollback Actions, document the incident).',
  'audit.maxFileBytes': 'Size at which <dataDir>/audit/audit.jsonl is rotated.',
  'alerts.stackLabel': 'Alert label naming the stack.',
  'alerts.defaultStack': 'Stack for alerts without that label.',
  'alerts.severityLabel': 'Alert label naming the severity.',
  'alerts.severityMap.<name>': 'Label value to severity (runbook: Decision Matrix).',
  'alerts.rules[].alertname': 'An alert by name (runbook: Automatic Rollback Triggers, Manual Indicators).',
  'alerts.rules[].severity': 'Its severity in the decision matrix.',
  'alerts.rules[].procedure': 'What a rollback decision starts for it.',
  'alerts.approvalTimeoutSeconds': "How long a level has to answer a medium alert's question before the next.",
};

function typeOf(s: z.ZodTypeAny): string {
  if (s instanceof z.ZodString) return 'string';
  if (s instanceof z.ZodNumber) return 'number';
  if (s instanceof z.ZodBoolean) return 'boolean';
  if (s instanceof z.ZodEnum) return (s.options as string[]).join(' \\| ');
  if (s instanceof z.ZodLiteral) return JSON.stringify(s.value);
  if (s instanceof z.ZodTuple) return `[${s.items.map(typeOf).join(', ')}]`;
  return s.constructor.name.replace(/^Zod/, '').toLowerCase();
}

/** Every field of the schema, depth first, with its type and default; record keys and array items are stepped into. */
export function configFields(schema: z.ZodTypeAny = configSchema): FieldRow[] {
  const rows = new Map<string, FieldRow>();
  const walk = (s: z.ZodTypeAny, path: string, def?: unknown): void => {
    if (s instanceof z.ZodDefault) return walk(s._def.innerType, path, s._def.defaultValue());
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) return walk(s.unwrap(), path, def);
    if (s instanceof z.ZodEffects) return walk(s.innerType(), path, def);
    if (s instanceof z.ZodObject) {
      for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodTypeAny>)) walk(v, path ? `${path}.${k}` : k);
      return;
    }
    if (s instanceof z.ZodRecord) return walk(s.valueSchema, `${path}.<name>`);
    if (s instanceof z.ZodArray && (s.element instanceof z.ZodObject || s.element instanceof z.ZodDiscriminatedUnion))
      return walk(s.element, `${path}[]`);
    if (s instanceof z.ZodArray)
      return void rows.set(`${path}[]`, { path: `${path}[]`, type: `${typeOf(s.element)}[]`, default: shown(def) });
    if (s instanceof z.ZodDiscriminatedUnion || s instanceof z.ZodUnion) {
      for (const o of s.options as z.ZodTypeAny[]) walk(o, path);
      return;
    }
    if (!rows.has(path)) rows.set(path, { path, type: typeOf(s), default: shown(def) });
  };
  walk(schema, '');
  return [...rows.values()];
}

const shown = (v: unknown): string | undefined => {
  if (v === undefined) return undefined;
  const text = JSON.stringify(v);
  return text.length > 60 ? '(see the schema)' : text;
};

export function renderConfigReference(): string {
  const rows = configFields().map(
    (f) => `| \`${f.path}\` | ${f.type} | ${f.default ? `\`${f.default}\`` : ''} | ${FIELD_DOCS[f.path] ?? ''} |`,
  );
  return [
    '# Configuration reference',
    '',
    'Generated from the config schema (`src/domain/config.ts`) by `npm run docs:config`; a unit test fails when',
    'they differ. `<name>` is a key you choose (a stack, a service); `[]` is a list item.',
    '',
    '| field | type | default | what it does |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
