/** `npm run bench`: every benchmark against a baseline in the same run; tables on stdout, JSON in bench/results. */
import { alertIngestion } from './alert-ingestion';
import { alertToHealthy } from './alert-to-healthy';
import { backupThroughput } from './backup-throughput';
import { capacity } from './capacity';
import { concurrency } from './concurrency';
import { crashRecovery } from './crash-recovery';
import { recoveryTime } from './recovery-time';
import { setUp, startWorkers } from './lib';

const ALL = {
  'recovery-time': recoveryTime,
  'alert-to-healthy': alertToHealthy,
  'alert-ingestion': alertIngestion,
  'backup-throughput': backupThroughput,
  concurrency,
  'crash-recovery': crashRecovery,
  capacity,
};

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const env = await setUp();
  const stopWorkers = await startWorkers(env);
  try {
    for (const [name, bench] of Object.entries(ALL)) {
      if (only.length && !only.includes(name)) continue;
      console.log(`running ${name}...`);
      await bench(env);
    }
  } finally {
    await stopWorkers();
    await env.client.connection.close();
    await env.nativeConnection.close();
    env.stopServer();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
