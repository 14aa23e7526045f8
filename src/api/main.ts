/** HTTP API process. */
import { ensurePrivateDataDir } from '../config/data-dir';
import { ConfigError } from '../config/config-error';
import { readEnv } from '../config/env';
import { configFilePath, loadConfig } from '../config/load';
import { connectClient, temporalIdentity } from '../client/temporal';
import { loadApiTokens } from '../config/api-tokens';
import { apiToken, decisionKey, readSecret } from '../config/secrets';
import { EncryptionCodec } from '../codec/encryption-codec';
import { ensureDefaultCodecKeyFile, loadCodecKeys } from '../codec/keys';
import Docker from 'dockerode';
import { assertStrongToken, buildApi } from './server';

async function main(): Promise<void> {
  const env = readEnv();
  const config = loadConfig(configFilePath());
  ensurePrivateDataDir(config.dataDir);
  const { token, source } = apiToken(config.dataDir);
  assertStrongToken(token, source);
  const tokensFile = env.LIFELINE_API_TOKENS_FILE;
  const tokens = tokensFile ? loadApiTokens(tokensFile) : [];
  ensureDefaultCodecKeyFile(config.dataDir);
  const client = await connectClient(config.dataDir, temporalIdentity('api'));
  const app = await buildApi({
    config,
    client,
    tokens,
    decisionKey: decisionKey(config.dataDir),
    codec: new EncryptionCodec(loadCodecKeys(config.dataDir), 'show'),
    uiOrigins: env.LIFELINE_UI_ORIGINS?.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    taskQueue: env.LIFELINE_TASK_QUEUE,
    // The API runs beside a Docker engine unless told otherwise (LIFELINE_CONTAINER_METRICS=off).
    docker: env.LIFELINE_CONTAINER_METRICS === 'off' ? undefined : new Docker(),
    secrets: {
      bearerToken: token,
      hmacSecret: readSecret('LIFELINE_WEBHOOK_SECRET'),
      grafanaSignatureHeader: env.LIFELINE_GRAFANA_SIGNATURE_HEADER,
      grafanaTimestampHeader: env.LIFELINE_GRAFANA_TIMESTAMP_HEADER,
      maxSkewSeconds: 300,
    },
  });
  const port = env.LIFELINE_API_PORT ?? config.api.port;
  await app.listen({ host: env.LIFELINE_API_HOST ?? config.api.host, port });
  // Names and scopes only: the tokens themselves never reach the log.
  app.log.info(`API token: admin (every scope) from ${source}`);
  for (const t of tokens)
    app.log.info(
      `API token: ${t.name} (${t.scopes.join(', ')}${t.stacks ? `; stacks ${t.stacks.join(', ')}` : ''}) from ${tokensFile}`,
    );
}

main().catch((err) => {
  console.error(`lifeline api failed: ${err?.message ?? err}`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
