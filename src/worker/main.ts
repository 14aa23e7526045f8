/** Worker process: LIFELINE_WORKER_ROLES (orchestration,host) on LIFELINE_HOST's Docker engine. */
import { NativeConnection } from '@temporalio/worker';
import { lifelineDataConverter } from '../codec/data-converter';
import { ensureDefaultCodecKeyFile } from '../codec/keys';
import { ensurePrivateDataDir } from '../config/data-dir';
import { ConfigError } from '../config/config-error';
import { readEnv } from '../config/env';
import { configFilePath, currentConfig } from '../config/load';
import { PinnedStacks } from '../config/pinned-stacks';
import { decisionKey } from '../config/secrets';
import { temporalTls } from '../config/temporal-tls';
import { temporalAddress, temporalNamespace } from '../config/temporal';
import { hasStack, resolveStack } from '../domain/config';
import { createWorkers, runWorkers } from './workers';

async function main(): Promise<void> {
  // Checked before anything is reached: a misspelled role or config key exits 2, naming it.
  const env = readEnv();
  const roles = env.LIFELINE_WORKER_ROLES;
  const host = env.LIFELINE_HOST;
  // The worker's own configuration: where its data and keys live.
  const file = configFilePath();
  const config = currentConfig(file);
  const { dataDir } = config();
  ensurePrivateDataDir(dataDir);
  ensureDefaultCodecKeyFile(dataDir);
  const dataConverter = lifelineDataConverter(dataDir);
  const connection = await NativeConnection.connect({ address: temporalAddress(), tls: temporalTls() });
  const workers = await createWorkers({
    connection,
    namespace: temporalNamespace(),
    host,
    roles,
    dataConverter,
    // The host worker never needs it: it neither sends questions nor checks decisions.
    decisionKey: roles.includes('orchestration') ? decisionKey(dataDir) : undefined,
    // Pinned versions are recorded in the data folder read at start, so a restart with a changed file keeps them.
    stacks: new PinnedStacks((name) => {
      const now = config();
      return hasStack(now, name) ? resolveStack(now, name) : undefined;
    }, dataDir),
    taskQueue: env.LIFELINE_TASK_QUEUE,
    workflowBundle: env.LIFELINE_WORKFLOW_BUNDLE ? { codePath: env.LIFELINE_WORKFLOW_BUNDLE } : undefined,
    chaosActivityDelayMs: env.LIFELINE_CHAOS_ACTIVITY_DELAY_MS || undefined,
    versioning: env.LIFELINE_BUILD_ID
      ? { buildId: env.LIFELINE_BUILD_ID, deploymentName: env.LIFELINE_DEPLOYMENT_NAME }
      : undefined,
  });
  console.log(`lifeline worker: roles=${roles.join(',')} host=${host} temporal=${temporalAddress()}`);
  try {
    await runWorkers(workers);
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(`lifeline worker failed: ${err?.message ?? err}`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
