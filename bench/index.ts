/** `npm run bench`: every benchmark against a baseline in the same run; tables on stdout, JSON in bench/results. */
import { alertIngestion } from './alert-ingestion';
import { alertToHealthy } from './alert-to-healthy';
import { backupThroughput } from './backup-throughput';
import { capacity } from './capacity';
import { concurrency } from './concurrency';
import { crashRecovery } from './crash-recovery';
import { recoveryTime } from './recovery-time';
import { rollbackUnderLoad } from './rollback-under-load';
import { google, temporal } from '@temporalio/proto';
import { benchStack, setUp } from './lib';
import { benchWorker } from './processes';

const ALL = {
  'recovery-time': recoveryTime,
  'rollback-under-load': rollbackUnderLoad,
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
  // A config holds at least one stack; each benchmark adds its own (the worker reads the file afresh).
  benchStack(env, 'idle', [18998]);
  // The worker in its own process, as deployed: the benchmark's observers never share its event loop.
  const worker = await benchWorker(env.host, env.taskQueue);
  worker.child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') {
      console.error(`the worker process exited (${code ?? signal}):\n${worker.output()}`);
      env.stopServer();
      process.exit(1);
    }
  });
  try {
    for (const [name, bench] of Object.entries(ALL)) {
      if (only.length && !only.includes(name)) continue;
      console.log(`running ${name}...`);
      await bench(env);
    }
  } finally {
    await worker.stop();
    await env.client.connection.close();
    env.stopServer();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err, ...grpcDetails(err));
    process.exit(1);
  },
);

/** What a multi-operation call's status details say (the client reports only "could not be executed"). */
function grpcDetails(err: { metadata?: { get(key: string): unknown[] } }): string[] {
  const [bin] = err?.metadata?.get('grpc-status-details-bin') ?? [];
  if (!(bin instanceof Uint8Array)) return [];
  const { MultiOperationExecutionFailure } = temporal.api.errordetails.v1;
  return google.rpc.Status.decode(bin).details.flatMap((d) =>
    d.type_url?.endsWith('MultiOperationExecutionFailure')
      ? MultiOperationExecutionFailure.decode(d.value!).statuses.map((s) => `operation: ${s.code} ${s.message}`)
      : [String(d.type_url)],
  );
}
