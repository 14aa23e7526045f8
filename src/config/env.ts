/**
 * Every environment variable Lifeline's processes read, in one place: typed, defaulted and checked at start
 * (a bad value is a ConfigError: exit 2). docs/ENVIRONMENT.md lists them; a unit test keeps the two in step.
 * Secrets (LIFELINE_API_TOKEN, LIFELINE_WEBHOOK_SECRET, LIFELINE_CODEC_KEY and their _FILE forms) and
 * TEMPORAL_TLS_* are read by config/secrets.ts, codec/keys.ts and config/temporal-tls.ts, which take the env;
 * the API tokens file LIFELINE_API_TOKENS_FILE names is read by config/api-tokens.ts.
 */
import { z } from 'zod';
import { nearestName } from '../domain/nearest-name';
import { ConfigError } from './config-error';

export const WORKER_ROLES = ['orchestration', 'host'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

const workerRoles = z.string().transform((text, ctx) => {
  const roles = text.split(',').map((r) => r.trim());
  for (const role of roles)
    if (!(WORKER_ROLES as readonly string[]).includes(role)) {
      const near = nearestName(role, WORKER_ROLES);
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `unknown worker role "${role}"${near ? `; did you mean "${near}"?` : ''} (roles: ${WORKER_ROLES.join(', ')})`,
      });
    }
  return roles as WorkerRole[];
});
const port = z.coerce.number().int().min(0).max(65535);
const milliseconds = z.coerce.number().int().min(0);

/** Name → schema with its default; the description is the documentation. */
export const envSchema = z.object({
  LIFELINE_CONFIG: z.string().optional().describe('config file (default ./lifeline.yaml)'),
  LIFELINE_DATA_DIR: z.string().optional().describe("overrides the config's dataDir"),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233').describe('Temporal frontend host:port'),
  TEMPORAL_NAMESPACE: z.string().default('default').describe('Temporal namespace'),
  LIFELINE_TASK_QUEUE: z.string().optional().describe('orchestration task queue (default lifeline-orchestration)'),
  LIFELINE_WORKER_ROLES: workerRoles
    .default('orchestration,host')
    .describe('what a worker process runs: orchestration, host, or both'),
  LIFELINE_HOST: z.string().default('local').describe("the Docker host a host worker owns (a stack's `host`)"),
  LIFELINE_WORKFLOW_BUNDLE: z.string().optional().describe('a prebuilt workflow bundle (default: bundled at start)'),
  LIFELINE_BUILD_ID: z
    .string()
    .optional()
    .describe('turns on Worker Deployments with this build ID (docs/VERSIONING.md)'),
  LIFELINE_DEPLOYMENT_NAME: z.string().optional().describe('Worker Deployment name (default lifeline)'),
  LIFELINE_CHAOS_ACTIVITY_DELAY_MS: milliseconds
    .optional()
    .describe('tests only: every activity waits this long first'),
  LIFELINE_API_HOST: z.string().optional().describe("API listen address (default: the config's api.host)"),
  LIFELINE_API_PORT: port.optional().describe("API listen port (default: the config's api.port)"),
  LIFELINE_UI_ORIGINS: z.string().optional().describe('comma-separated Web UI origins allowed to call /codec'),
  LIFELINE_API_TOKENS_FILE: z
    .string()
    .optional()
    .describe('named API tokens with scopes, a JSON file (docs/SECURITY.md)'),
  LIFELINE_CONTAINER_METRICS: z.enum(['on', 'off']).default('on').describe('off: the API reads no Docker engine'),
  LIFELINE_GRAFANA_SIGNATURE_HEADER: z
    .string()
    .default('X-Grafana-Alerting-Signature')
    .describe('Grafana webhook signature header'),
  LIFELINE_GRAFANA_TIMESTAMP_HEADER: z
    .string()
    .default('X-Grafana-Alerting-Signature-Timestamp')
    .describe('Grafana webhook timestamp header'),
  USER: z.string().optional().describe('who a CLI request is recorded as, unless --as (default: the login name)'),
});
export type LifelineEnv = z.infer<typeof envSchema>;

/** The environment, checked; a bad value names the variable (and the value it was probably meant to be). */
export function readEnv(env: NodeJS.ProcessEnv = process.env): LifelineEnv {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    `invalid environment:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
  );
}
