/** Lifeline's configuration file: shape, defaults and the resolved per-stack view workflows receive. */
import safeRegex from 'safe-regex2';
import { z } from 'zod';
import { environmentSchema, serviceNameSchema, stackNameSchema } from './names';
import { nearestName } from './nearest-name';
import { ingressSchema } from './ingress';
import { DecisionSettings, decisionSettingsSchema, Person, personSchema } from './people';

const seconds = z.number().nonnegative();

/** Checked when the config loads, not when a rollback needs it: valid, and no catastrophic backtracking. */
const errorLogPattern = z
  .string()
  .min(1)
  .max(500)
  .superRefine((pattern, ctx) => {
    try {
      new RegExp(pattern, 'i');
    } catch (err) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `not a valid regular expression: ${(err as Error).message}`,
      });
      return;
    }
    if (!safeRegex(pattern))
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: 'may backtrack catastrophically on a long log line (ReDoS); simplify it',
      });
  });
const loopbackUrl = z.string().url();

export const smokeTestSchema = z.strictObject({
  name: z.string().min(1),
  url: loopbackUrl,
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  expectStatus: z.number().int().default(200),
  bodyContains: z.string().optional(),
  jsonPath: z.string().optional(),
  jsonEquals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  maxLatencyMs: z.number().positive().default(5000),
});
export type SmokeTest = z.infer<typeof smokeTestSchema>;

export const metricCheckSchema = z.strictObject({
  name: z.string().min(1),
  query: z.string().min(1),
  /** Every sample of the instant vector must satisfy the comparison; an empty result fails unless allowEmpty. */
  op: z.enum(['<', '<=', '>', '>=', '==']),
  threshold: z.number(),
  allowEmpty: z.boolean().default(false),
});
export type MetricCheck = z.infer<typeof metricCheckSchema>;

export const serviceSchema = z.strictObject({
  /** Container name. Without it, the service's containers are found by their compose labels (project and service). */
  container: z.string().optional(),
  /** HTTP probe that lets health be seen before Docker's own healthcheck interval comes round. */
  healthUrl: loopbackUrl.optional(),
  /** Whether `deploy --image-tag` and image-tag rollback change this service's image. */
  appImage: z.boolean().default(true),
  /** It cannot run twice (a lock, a singleton worker, a host port the ingress does not front): swapped stop-first, alone. */
  stopFirst: z.boolean().default(false),
});

export const timeoutsSchema = z.strictObject({
  stopGraceSeconds: seconds.default(10),
  healthWaitSeconds: seconds.default(120),
  deployHealthSeconds: seconds.default(300),
  healthStableSeconds: seconds.default(0),
  monitorSeconds: seconds.default(300),
  monitorIntervalSeconds: seconds.default(15),
  postRollbackMonitorSeconds: seconds.default(900),
  dockerUnavailableSeconds: seconds.default(120),
  /** How long a silent activity may run before the server takes its worker for dead and retries elsewhere. */
  activityHeartbeatSeconds: z.number().min(1).default(30),
});

export const blueGreenSchema = z.strictObject({
  nginxContainer: z.string(),
  /** File inside the nginx container that holds the upstream; Lifeline rewrites it. */
  upstreamFile: z.string().default('/etc/nginx/upstream.conf'),
  upstreamName: z.string().default('spacetime_backend'),
  blue: z.strictObject({ project: stackNameSchema, servers: z.array(z.string().min(1)).min(1) }),
  green: z.strictObject({ project: stackNameSchema, servers: z.array(z.string().min(1)).min(1) }),
  /** Stop green once traffic has left it (it is never removed); false keeps it running for an instant re-switch. */
  stopGreen: z.boolean().default(true),
});

export const emergencySchema = z.strictObject({
  /** Below this much free space on the Docker data root, the outage procedure frees space. */
  minFreeDiskBytes: z
    .number()
    .int()
    .nonnegative()
    .default(1 << 30),
  dockerDataRoot: z.string().default('/var/lib/docker'),
  /** Host command that restarts the Docker daemon; without one, a person is asked to do it. */
  dockerRestartCommand: z.array(z.string()).min(1).optional(),
  /** Host command that blocks external access (the runbook's iptables rules); optional. */
  firewallCommand: z.array(z.string()).min(1).optional(),
  /** Ingress container stopped first when isolating a breach. */
  ingressContainer: z.string().optional(),
  olderReleaseLimit: z.number().int().min(0).default(2),
  /** How long a person has to confirm a manual step before the procedure escalates. */
  personTimeoutSeconds: seconds.default(1800),
});

export const stackSchema = z.strictObject({
  host: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
    .default('local'),
  /** Compose project name (the com.docker.compose.project label). Defaults to the stack name. */
  project: stackNameSchema.optional(),
  services: z.record(serviceNameSchema, serviceSchema).refine((s) => Object.keys(s).length > 0, 'at least one service'),
  configFiles: z.array(z.string()).default([]),
  volumes: z.array(z.string()).default([]),
  backupVolumes: z.boolean().default(false),
  retainReleases: z.number().int().min(1).default(10),
  statusUrl: loopbackUrl.optional(),
  smokeTests: z.array(smokeTestSchema).default([]),
  errorLogPatterns: z.array(errorLogPattern).default(['\\bERROR\\b', '\\bFATAL\\b', 'panic']),
  errorLogLines: z.number().int().positive().default(100),
  prometheus: z.strictObject({ url: loopbackUrl, checks: z.array(metricCheckSchema).default([]) }).optional(),
  // Chosen by `type`, so a misspelled key is named by the option it belongs to, not lost in "Invalid input".
  integrityCheck: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('http'), url: loopbackUrl, expectStatus: z.number().int().default(200) }),
      z.strictObject({ type: z.literal('exec'), service: serviceNameSchema, command: z.array(z.string()).min(1) }),
    ])
    .optional(),
  blueGreen: blueGreenSchema.optional(),
  /** The nginx in front of the services: every release rollback then swaps without dropping a request. */
  ingress: ingressSchema.optional(),
  /** The environment it serves; a remote trigger naming another is refused. */
  environment: environmentSchema.default('production'),
  emergency: emergencySchema.default({}),
  timeouts: timeoutsSchema.default({}),
});
export type StackConfigInput = z.input<typeof stackSchema>;

export const notificationTargetSchema = z.strictObject({
  kind: z.enum(['slack', 'webhook']),
  url: z.string().url(),
});
export type NotificationTarget = z.infer<typeof notificationTargetSchema>;

export const escalationLevelSchema = z.strictObject({
  name: z.string().min(1),
  contacts: z.array(notificationTargetSchema).default([]),
  ackTimeoutSeconds: seconds.default(900),
});
export type EscalationLevel = z.infer<typeof escalationLevelSchema>;

export const PROCEDURES_FOR_ALERTS = [
  'quick-rollback',
  'data-corruption',
  'security-breach',
  'complete-service-outage',
] as const;

export const alertRuleSchema = z.strictObject({
  alertname: z.string().min(1),
  severity: z.enum(['critical', 'high', 'medium', 'low']),
  /** What a rollback decision starts for this alert. */
  procedure: z.enum(PROCEDURES_FOR_ALERTS).default('quick-rollback'),
});
export type AlertRule = z.infer<typeof alertRuleSchema>;

/** The runbook's automatic triggers (critical) and manual indicators, by Prometheus alert name. */
const DEFAULT_ALERT_RULES: z.input<typeof alertRuleSchema>[] = [
  { alertname: 'ContainerFailedToStart', severity: 'critical' },
  { alertname: 'HealthChecksFailing', severity: 'critical' },
  { alertname: 'SmokeTestsFailing', severity: 'critical' },
  { alertname: 'ErrorRateAbove10Percent', severity: 'critical' },
  { alertname: 'ResponseTimeAbove5s', severity: 'critical' },
  { alertname: 'MemoryAbove95Percent', severity: 'critical' },
  { alertname: 'CriticalServiceCrash', severity: 'critical' },
  { alertname: 'ServiceDown', severity: 'critical', procedure: 'complete-service-outage' },
  { alertname: 'DataCorruption', severity: 'critical', procedure: 'data-corruption' },
  { alertname: 'SecurityBreach', severity: 'critical', procedure: 'security-breach' },
  { alertname: 'ErrorRateAbove5Percent', severity: 'high' },
  { alertname: 'ResponseTimeAbove2s', severity: 'high' },
  { alertname: 'CustomerComplaintsSpike', severity: 'high' },
  { alertname: 'MemoryLeak', severity: 'medium' },
  { alertname: 'PerformanceDegradation', severity: 'medium' },
];

export const alertRoutingSchema = z.strictObject({
  /** Alert label naming the stack; alerts without it go to defaultStack, if any. */
  stackLabel: z.string().default('stack'),
  defaultStack: stackNameSchema.optional(),
  severityLabel: z.string().default('severity'),
  /** Label value → severity, for alerts no rule names. */
  severityMap: z.record(z.enum(['critical', 'high', 'medium', 'low'])).default({
    critical: 'critical',
    page: 'critical',
    high: 'high',
    error: 'high',
    warning: 'medium',
    medium: 'medium',
    info: 'low',
    low: 'low',
  }),
  rules: z.array(alertRuleSchema).default(DEFAULT_ALERT_RULES),
  /** How long a person has to answer "consider rollback" (medium over 15 min). */
  approvalTimeoutSeconds: seconds.default(1800),
});
export type AlertRouting = z.infer<typeof alertRoutingSchema>;

const DEFAULT_LEVELS = [
  { name: 'on-call engineer', ackTimeoutSeconds: 300 },
  { name: 'senior ops', ackTimeoutSeconds: 600 },
  { name: 'infrastructure team', ackTimeoutSeconds: 900 },
  { name: 'CTO / VP Engineering', ackTimeoutSeconds: 1800 },
];

export const configSchema = z.strictObject({
  dataDir: z.string().default('.data'),
  stacks: z.record(stackNameSchema, stackSchema).refine((s) => Object.keys(s).length > 0, 'at least one stack'),
  notifications: z.array(notificationTargetSchema).default([]),
  escalation: z.strictObject({ levels: z.array(escalationLevelSchema).min(1).default(DEFAULT_LEVELS) }).default({}),
  /** The people questions go to, by role (escalation level names and the runbook's audiences). */
  people: z.array(personSchema).default([]),
  github: z
    .strictObject({
      apiUrl: z.string().url().default('https://api.github.com'),
      repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
    })
    .optional(),
  api: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8787),
      /** Where people reach the API (a decision link is `<publicUrl>/decide/<token>`); unset: no links are sent. */
      publicUrl: z
        .string()
        .url()
        .refine((u) => /^https?:/.test(u), 'an http(s) URL')
        .transform((u) => u.replace(/\/+$/, ''))
        .optional(),
    })
    .default({}),
  decisions: decisionSettingsSchema.default({}),
  /** The audit trail: one JSON line per procedure in <dataDir>/audit, kept after Temporal's history is gone. */
  audit: z
    .strictObject({
      /** Each record is also posted here (a log pipeline, a SIEM); a failed post is logged, the file keeps it. */
      webhookUrl: z.string().url().optional(),
      maxFileBytes: z
        .number()
        .int()
        .min(4096)
        .default(10 * 2 ** 20),
    })
    .default({}),
  alerts: alertRoutingSchema.default({}),
});
export type LifelineConfig = z.infer<typeof configSchema>;
export type StackConfig = z.infer<typeof stackSchema>;

/** What a request names: only the stack. Its settings come from the worker's own config, never from a request. */
export interface StackRef {
  name: string;
}

/** Everything a workflow needs about one stack, resolved from the config so workflow code reads no files. */
export type ResolvedStack = Omit<StackConfig, 'project' | 'services' | 'configFiles'> & {
  name: string;
  /**
   * Set by the worker that read the settings from its config: the settings' hash, recorded in the history.
   * Activities accept a stack only when it is exactly the version of their own config with this hash.
   */
  configHash?: string;
  project: string;
  dataDir: string;
  /** `container` when configured; otherwise found by compose labels at run time (replicas included). */
  services: ({ name: string } & z.infer<typeof serviceSchema>)[];
  configFiles: string[];
  notifications: NotificationTarget[];
  escalation: EscalationLevel[];
  people: Person[];
  decisions: DecisionSettings & { publicUrl?: string };
  audit: LifelineConfig['audit'];
  github?: LifelineConfig['github'];
};

export class UnknownStackError extends Error {
  constructor(stack: string, known: string[]) {
    super(`unknown stack "${stack}"; configured stacks: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownStackError';
  }
}

export const hasStack = (config: LifelineConfig, name: string): boolean =>
  Object.prototype.hasOwnProperty.call(config.stacks, name);

export function resolveStack(config: LifelineConfig, name: string): ResolvedStack {
  // Own properties only: "constructor" or "__proto__" is no stack.
  const s = hasStack(config, name) ? config.stacks[name] : undefined;
  if (!s) throw new UnknownStackError(name, Object.keys(config.stacks));
  const project = s.project ?? name;
  return {
    name,
    project,
    host: s.host,
    dataDir: config.dataDir,
    services: Object.entries(s.services).map(([svc, v]) => ({
      name: svc,
      container: v.container,
      healthUrl: v.healthUrl,
      appImage: v.appImage,
      stopFirst: v.stopFirst,
    })),
    configFiles: s.configFiles,
    volumes: s.volumes,
    backupVolumes: s.backupVolumes,
    retainReleases: s.retainReleases,
    statusUrl: s.statusUrl,
    smokeTests: s.smokeTests,
    errorLogPatterns: s.errorLogPatterns,
    errorLogLines: s.errorLogLines,
    prometheus: s.prometheus,
    integrityCheck: s.integrityCheck,
    blueGreen: s.blueGreen,
    ingress: s.ingress,
    environment: s.environment,
    emergency: s.emergency,
    timeouts: s.timeouts,
    notifications: config.notifications,
    escalation: config.escalation.levels,
    people: config.people,
    decisions: { ...config.decisions, publicUrl: config.api.publicUrl },
    audit: config.audit,
    github: config.github,
  };
}

/** Formats zod issues as "path: reason" lines, naming the file so an operator knows where to look. */
export function describeConfigIssues(file: string, error: z.ZodError): string {
  const where = (path: (string | number)[]) => (path.length ? path.join('.') : '(top level)');
  const lines = error.issues.flatMap((i) => {
    if (i.code !== z.ZodIssueCode.unrecognized_keys) return [`  ${where(i.path)}: ${i.message}`];
    const known = keysAt(configSchema, i.path);
    return i.keys.map((key) => {
      const near = nearestName(key, known);
      return `  ${where([...i.path, key])}: unknown key${near ? `; did you mean "${near}"?` : `; known keys: ${known.join(', ')}`}`;
    });
  });
  return `invalid config ${file}:\n${lines.join('\n')}`;
}

/** The keys the schema allows for the object at `path` (record keys and array indexes are stepped over). */
function keysAt(schema: z.ZodTypeAny, path: (string | number)[]): string[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodUnion || inner instanceof z.ZodDiscriminatedUnion)
    return [...new Set((inner.options as z.ZodTypeAny[]).flatMap((o) => keysAt(o, path)))];
  if (path.length === 0) return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
  const [head, ...rest] = path;
  if (inner instanceof z.ZodObject) {
    const field = (inner.shape as Record<string, z.ZodTypeAny>)[String(head)];
    return field ? keysAt(field, rest) : [];
  }
  if (inner instanceof z.ZodRecord) return keysAt(inner.valueSchema, rest);
  if (inner instanceof z.ZodArray) return keysAt(inner.element, rest);
  return [];
}

function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  if (schema instanceof z.ZodDefault) return unwrap(schema._def.innerType);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return unwrap(schema.unwrap());
  if (schema instanceof z.ZodEffects) return unwrap(schema.innerType());
  return schema;
}
