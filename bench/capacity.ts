/**
 * Capacity on the production-shaped cluster (`npm run cluster`: the real server on PostgreSQL, split in two
 * processes): what one quick rollback and one escalated emergency cost the cluster. History events and
 * bytes, workflow and activity tasks (the procedure, its child workflows and the stack owner's share), and
 * the CPU seconds of the server processes and of PostgreSQL (all its backends), measured around each run.
 * README "Scaling out" turns these into a sizing table.
 */
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startProcedure } from '../src/client/start-procedure';
import { lifelineDataConverter } from '../src/codec/data-converter';
import { ownerWorkflowId, procedureStartMetadata, procedureWorkflowId, PROCEDURES } from '../src/domain/workflow-ids';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { createWorkers } from '../src/worker/workers';
import { acknowledgeUpdate } from '../src/workflows/definitions';
import { startCluster } from '../test/harness/cluster';
import { waitForPending } from '../test/harness/waits';
import { BenchEnv, benchPinnedStacks, benchStack, BUNDLE_FILE, CODEC_ENV, report, WORK } from './lib';

const CLUSTER_PORT = 27500;
const PORTS = [16291, 16292, 16293, 16294];
const ROUNDS = 3;
const TICKS_PER_SECOND = 100; // Linux USER_HZ

interface Cost {
  historyEvents: number;
  historyBytes: number;
  workflowTasks: number;
  activityTasks: number;
  workflows: number;
  serverCpuSeconds: number;
  postgresCpuSeconds: number;
  wallSeconds: number;
}

/** utime + stime (+ reaped children's, for PostgreSQL's exited backends) of a process, in seconds. */
function cpuSeconds(pid: number, withChildren = false): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return (utime + stime + (withChildren ? cutime + cstime : 0)) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The postmaster and every backend it forked. */
function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let total = cpuSeconds(postmaster, true);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (ppid === postmaster) total += cpuSeconds(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** The workflow and every child it started, recursively. */
async function historiesOf(client: Client, workflowId: string): Promise<temporal.api.history.v1.IHistory[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const children = (history.events ?? [])
    .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId)
    .filter((id): id is string => Boolean(id));
  const nested = await Promise.all(children.map((id) => historiesOf(client, id)));
  return [history, ...nested.flat()];
}

const count = (
  histories: temporal.api.history.v1.IHistory[],
  pick: (e: temporal.api.history.v1.IHistoryEvent) => unknown,
) => histories.reduce((n, h) => n + (h.events ?? []).filter(pick).length, 0);

async function measure(
  client: Client,
  cluster: { dir: string; pids(): { frontend?: number; backend?: number } },
  ownerId: string | undefined,
  run: () => Promise<WorkflowHandle>,
): Promise<Cost> {
  const serverCpu = () => Object.values(cluster.pids()).reduce((t, pid) => t + (pid ? cpuSeconds(pid) : 0), 0);
  const ownerEvents = async () =>
    ownerId
      ? (
          (
            await client.workflow
              .getHandle(ownerId)
              .fetchHistory()
              .catch(() => undefined)
          )?.events ?? []
        ).slice()
      : [];
  const ownerBefore = (await ownerEvents()).length;
  const [server0, pg0, t0] = [serverCpu(), postgresCpuSeconds(path.join(cluster.dir, 'pg')), Date.now()];
  const handle = await run();
  await handle.result().catch(() => undefined);
  // Post-rollback actions run on after the procedure: wait for them before reading the meters.
  const post = client.workflow.getHandle(`${handle.workflowId}:post-actions`);
  for (;;) {
    const d = await post.describe().catch(() => undefined);
    if (!d || d.status.name !== 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const histories = await historiesOf(client, handle.workflowId);
  const postHistory = await post.fetchHistory().catch(() => undefined);
  if (postHistory) histories.push(postHistory);
  const [server1, pg1, t1] = [serverCpu(), postgresCpuSeconds(path.join(cluster.dir, 'pg')), Date.now()];
  const ownerShare = (await ownerEvents()).slice(ownerBefore);
  const all = [...histories, { events: ownerShare }];
  const Type = temporal.api.enums.v1.EventType;
  return {
    historyEvents: count(all, () => true),
    historyBytes: all.reduce((n, h) => n + temporal.api.history.v1.History.encode(h).finish().length, 0),
    workflowTasks: count(all, (e) => e.eventType === Type.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activityTasks: count(all, (e) => e.eventType === Type.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    workflows: histories.length,
    serverCpuSeconds: server1 - server0,
    postgresCpuSeconds: pg1 - pg0,
    wallSeconds: (t1 - t0) / 1000,
  };
}

const medianOf = (costs: Cost[], key: keyof Cost) => {
  const xs = costs.map((c) => c[key]).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
};

export async function capacity(env: BenchEnv): Promise<void> {
  // A cluster of its own for this run: its payloads are encrypted with this run's key.
  const cluster = await startCluster(CLUSTER_PORT, path.join(WORK, 'cluster'));
  const nativeConnection = await NativeConnection.connect({ address: cluster.address });
  const connection = await Connection.connect({ address: cluster.address });
  const client = new Client({ connection, dataConverter: lifelineDataConverter(WORK, CODEC_ENV) });
  const taskQueue = 'bench-capacity';
  const workers: Worker[] = await createWorkers({
    connection: nativeConnection,
    namespace: 'default',
    host: env.host,
    roles: ['orchestration', 'host'],
    dataConverter: lifelineDataConverter(WORK, CODEC_ENV),
    stacks: benchPinnedStacks,
    docker: env.docker,
    workflowBundle: { codePath: BUNDLE_FILE },
    taskQueue,
  });
  const running = workers.map((w) => w.run());
  // Where notifications and pages go: a local HTTP server that accepts them (as Slack would), so each
  // message is a real notify activity.
  const receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end('ok')));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = { kind: 'webhook', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` };
  try {
    const stack = benchStack(env, 'cap', PORTS, {}, env.host, {
      notifications: [hook],
      escalation: {
        levels: [
          { name: 'on-call', ackTimeoutSeconds: 1, contacts: [hook] },
          { name: 'senior', ackTimeoutSeconds: 600, contacts: [hook] },
        ],
      },
    });
    const input = { stack, trigger: 'cli' as const, reason: 'bench', requestedBy: 'bench' };
    // Idle: what the cluster costs with nothing to do, over the same kind of interval.
    const idle0 = { server: Object.values(cluster.pids()).reduce((t, p) => t + (p ? cpuSeconds(p) : 0), 0) };
    const pg0 = postgresCpuSeconds(path.join(cluster.dir, 'pg'));
    await new Promise((r) => setTimeout(r, 10_000));
    const idleServer =
      (Object.values(cluster.pids()).reduce((t, p) => t + (p ? cpuSeconds(p) : 0), 0) - idle0.server) / 10;
    const idlePostgres = (postgresCpuSeconds(path.join(cluster.dir, 'pg')) - pg0) / 10;

    const rollbacks: Cost[] = [];
    const escalations: Cost[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await upFixtureStack(env.docker, stack, 'v2.4.9');
      await waitFixtureHealthy(env.docker, stack);
      await (await startProcedure(client, 'backup', { ...input, knownGood: true }, { taskQueue })).handle.result();
      await upFixtureStack(env.docker, stack, 'v2.5.0');
      rollbacks.push(
        await measure(client, cluster, ownerWorkflowId(stack.name), async () => {
          return (await startProcedure(client, 'quick-rollback', input, { taskQueue })).handle;
        }),
      );
      escalations.push(
        await measure(client, cluster, undefined, async () => {
          const args = { ...input, stack: { name: stack.name }, reason: 'bench: nobody answers' };
          const handle = await client.workflow.start(PROCEDURES.escalation, {
            taskQueue,
            workflowId: procedureWorkflowId('escalation', stack.name, new Date()),
            args: [args],
            ...procedureStartMetadata('escalation', args),
          });
          // The first level stays silent past its timeout; the second acknowledges.
          await waitForPending(handle, 'ack', 'senior');
          await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'senior' }] });
          return handle;
        }),
      );
    }
    await removeFixtureStack(env.docker, stack);
    const row = (subject: string, costs: Cost[]) => ({
      subject,
      historyEvents: medianOf(costs, 'historyEvents'),
      historyKB: Math.round(medianOf(costs, 'historyBytes') / 102.4) / 10,
      workflowTasks: medianOf(costs, 'workflowTasks'),
      activityTasks: medianOf(costs, 'activityTasks'),
      workflows: medianOf(costs, 'workflows'),
      serverCpuS: Math.round(medianOf(costs, 'serverCpuSeconds') * 100) / 100,
      postgresCpuS: Math.round(medianOf(costs, 'postgresCpuSeconds') * 100) / 100,
      wallS: Math.round(medianOf(costs, 'wallSeconds') * 10) / 10,
    });
    report(
      'capacity',
      [row('quick rollback (4 services)', rollbacks), row('escalated emergency (2 levels)', escalations)],
      {
        rounds: ROUNDS,
        idleCpuCoresServer: Math.round(idleServer * 1000) / 1000,
        idleCpuCoresPostgres: Math.round(idlePostgres * 1000) / 1000,
        cluster: 'temporal server v1.29.1 on PostgreSQL 15, frontend + history/matching/worker processes',
        raw: { rollbacks, escalations },
      },
    );
    console.log(`idle: server ${idleServer.toFixed(3)} cores, PostgreSQL ${idlePostgres.toFixed(3)} cores`);
  } finally {
    workers.forEach((w) => w.shutdown());
    await Promise.all(running);
    await nativeConnection.close();
    await connection.close();
    await cluster.stop();
    receiver.close();
  }
}
