/** What the HTTP API is built from, and what its routes receive: in a module of its own, so routes never import the server. */
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type Docker from 'dockerode';
import type { ApiToken } from '../config/api-tokens';
import type { LifelineConfig } from '../domain/config';
import type { AuthSecrets } from './auth';
import type { ApiMetrics } from './metrics';

export interface ApiDeps {
  config: LifelineConfig;
  client: Client;
  secrets: AuthSecrets;
  /** Opens decision links and seals the proofs of decisions (LIFELINE_DECISION_KEY): the API's and the worker's alone. */
  decisionKey: string;
  /** Named tokens with scopes, beside the admin token of `secrets` (LIFELINE_API_TOKENS_FILE). */
  tokens?: readonly ApiToken[];
  /** The payload codec served at /codec for the Web UI. */
  codec: PayloadCodec;
  /** Web UI origins that may call the codec from the browser (default: the dev server's UI). */
  uiOrigins?: string[];
  taskQueue?: string;
  bodyLimitBytes?: number;
  logLevel?: string;
  now?: () => number;
  /** The Docker engine whose stack containers /metrics reports (memory against limit, restarts); none: not reported. */
  docker?: Docker;
}

export type RouteDeps = ApiDeps & { metrics: ApiMetrics; now: () => number };
