/** Runs Lifeline's real HTTP API on a loopback port against the test Temporal server. */
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { buildApi } from '../../src/api/server';
import { loadApiTokens } from '../../src/config/api-tokens';
import { configSchema, LifelineConfig } from '../../src/domain/config';
import type { PersonInput } from '../../src/domain/people';
import { harnessState, TEST_DECISION_KEY, TestEnv, testCodec, testDataConverter } from './env';

export const API_TOKEN = 'test-token-0123456789abcdefghijklmnop';
export const HMAC_SECRET = 'test-hmac-secret';

export interface RunningApi {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startApi(
  env: TestEnv,
  stacks: Record<string, unknown>,
  opts: {
    temporalAddress?: string;
    bodyLimitBytes?: number;
    alerts?: object;
    uiOrigins?: string[];
    /** Named tokens with scopes, read as the API reads LIFELINE_API_TOKENS_FILE; API_TOKEN stays the admin token. */
    tokensFile?: string;
    /** The people whose decisions the API authenticates (the config's top-level `people`). */
    people?: PersonInput[];
  } = {},
): Promise<RunningApi> {
  const config: LifelineConfig = configSchema.parse({
    dataDir: env.dataDir,
    stacks,
    alerts: opts.alerts ?? {},
    people: opts.people ?? [],
  });
  const connection = opts.temporalAddress
    ? Connection.lazy({ address: opts.temporalAddress })
    : await Connection.connect({ address: harnessState().address });
  const app = await buildApi({
    config,
    client: new Client({ connection, dataConverter: testDataConverter() }),
    codec: testCodec(),
    decisionKey: TEST_DECISION_KEY,
    docker: env.docker,
    uiOrigins: opts.uiOrigins,
    taskQueue: env.taskQueue,
    logLevel: 'silent',
    bodyLimitBytes: opts.bodyLimitBytes,
    tokens: opts.tokensFile ? loadApiTokens(opts.tokensFile) : undefined,
    secrets: {
      bearerToken: API_TOKEN,
      hmacSecret: HMAC_SECRET,
      grafanaSignatureHeader: 'X-Grafana-Alerting-Signature',
      grafanaTimestampHeader: 'X-Grafana-Alerting-Signature-Timestamp',
      maxSkewSeconds: 300,
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    async close() {
      await app.close();
      await connection.close();
    },
  };
}
