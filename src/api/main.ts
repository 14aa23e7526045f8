/** HTTP API process. */
import { ensurePrivateDataDir } from '../config/data-dir';
import { configFilePath, loadConfig } from '../config/load';
import { connectClient } from '../client/temporal';
import { apiToken, readSecret } from '../config/secrets';
import { EncryptionCodec } from '../codec/encryption-codec';
import { ensureDefaultCodecKeyFile, loadCodecKeys } from '../codec/keys';
import Docker from 'dockerode';
import { assertStrongToken, buildApi } from './server';

async function main(): Promise<void> {
  const config = loadConfig(configFilePath());
  ensurePrivateDataDir(config.dataDir);
  const { token, source } = apiToken(config.dataDir);
  assertStrongToken(token, source);
  ensureDefaultCodecKeyFile(config.dataDir);
  const client = await connectClient(config.dataDir);
  const app = await buildApi({
    config,
    client,
    codec: new EncryptionCodec(loadCodecKeys(config.dataDir)),
    uiOrigins: process.env.LIFELINE_UI_ORIGINS?.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    taskQueue: process.env.LIFELINE_TASK_QUEUE,
    // The API runs beside a Docker engine unless told otherwise (LIFELINE_CONTAINER_METRICS=off).
    docker: process.env.LIFELINE_CONTAINER_METRICS === 'off' ? undefined : new Docker(),
    secrets: {
      bearerToken: token,
      hmacSecret: readSecret('LIFELINE_WEBHOOK_SECRET'),
      grafanaSignatureHeader: process.env.LIFELINE_GRAFANA_SIGNATURE_HEADER ?? 'X-Grafana-Alerting-Signature',
      grafanaTimestampHeader: process.env.LIFELINE_GRAFANA_TIMESTAMP_HEADER ?? 'X-Grafana-Alerting-Signature-Timestamp',
      maxSkewSeconds: 300,
    },
  });
  const port = Number(process.env.LIFELINE_API_PORT ?? config.api.port);
  await app.listen({ host: process.env.LIFELINE_API_HOST ?? config.api.host, port });
  app.log.info(`API token: from ${source}`);
}

main().catch((err) => {
  console.error(`lifeline api failed: ${err?.message ?? err}`);
  process.exit(err?.name === 'ConfigError' ? 2 : 1);
});
