/** Per-test-file environment: real workers on their own task queues, a real client, a fixture stack builder. */
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import Docker from 'dockerode';
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StartedProcedure, startProcedure } from '../../src/client/start-procedure';
import type { OwnedProcedure, WhenBusy } from '../../src/domain/ownership';
import { PROCEDURES, procedureStartMetadata, procedureWorkflowId } from '../../src/domain/workflow-ids';
import { configSchema, resolveStack, ResolvedStack, StackConfigInput } from '../../src/domain/config';
import type { ProcedureInput } from '../../src/domain/procedure-types';
import { createWorkers } from '../../src/worker/workers';
import { PinnedStacks } from '../../src/config/pinned-stacks';
import { stringify } from 'yaml';
import { lifelineDataConverter } from '../../src/codec/data-converter';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { loadCodecKeys } from '../../src/codec/keys';
import { recordOwnedHistories } from './record-histories';
import { onCleanup } from './cleanup';
import { removeFixtureStack } from '../../src/fixtures/stack';
import { BUNDLE_FILE, CODEC_ENV, harnessState, TEST_DIR } from './paths';
import type { PersonInput } from '../../src/domain/people';

/** The test run's data converter (payloads encrypted with the run's keys). */
export const testDataConverter = () => lifelineDataConverter(TEST_DIR, CODEC_ENV);
/** The API's codec endpoint, as the API builds it: it shows unsealed payloads instead of refusing them. */
export const testCodec = () => new EncryptionCodec(loadCodecKeys(TEST_DIR, CODEC_ENV), 'show');

export { harnessState };

/** The decision key the test workers and the test API share (a real deployment's comes from LIFELINE_DECISION_KEY). */
export const TEST_DECISION_KEY = 'test-decision-key-0123456789abcdefghijklmnop';

export interface StackOptions {
  ports: number[];
  services?: string[];
  config?: Partial<StackConfigInput>;
  notifications?: { kind: 'slack' | 'webhook'; url: string }[];
  escalation?: { name: string; ackTimeoutSeconds: number; contacts?: { kind: 'slack' | 'webhook'; url: string }[] }[];
  github?: { apiUrl: string; repo: string };
  /** The people questions go to, by role (top-level in a config file). */
  people?: PersonInput[];
  /** Top-level `api.publicUrl` (decision links) and `decisions` settings. */
  publicUrl?: string;
  decisions?: { linkTtlSeconds?: number; twoPeople?: ('breach approval' | 'volume prune')[] };
  /** The Docker host whose worker runs the stack's activities (default: this env's). */
  host?: string;
}

export interface TestEnv {
  name: string;
  client: Client;
  docker: Docker;
  taskQueue: string;
  host: string;
  dataDir: string;
  stack(name: string, opts: StackOptions): ResolvedStack;
  /** The stacks this env's workers know (their "own config"): every stack made with stack(). */
  stackConfig(name: string): ResolvedStack | undefined;
  /** The stack pinned to the workers' current config, as a procedure's owner passes it (for workflows started directly). */
  pinned(stack: ResolvedStack): ResolvedStack;
  /** The workers' own config, with the settings of every stack made with stack(). */
  pinnedStacks: PinnedStacks;
  /**
   * The same stacks as a config file (LIFELINE_CONFIG) for a worker in its own process. It holds no
   * notification or escalation targets: those are per stack() call here, and top-level in a file.
   */
  configFile: string;
  /** Starts a procedure the way the CLI does: owned ones through the stack owner (busy is an error), escalation directly. */
  start(
    procedure: OwnedProcedure | 'escalation',
    args: ProcedureInput & Record<string, unknown>,
    opts?: { whenBusy?: WhenBusy; requestKey?: string },
  ): Promise<WorkflowHandle>;
  /** The stack owner's answer, for tests of busy, queue, join and preemption. */
  request(
    procedure: OwnedProcedure,
    args: ProcedureInput & Record<string, unknown>,
    opts?: { whenBusy?: WhenBusy; requestKey?: string; force?: boolean },
  ): Promise<StartedProcedure>;
  teardown(): Promise<void>;
}

export const FAST_TIMEOUTS = {
  stopGraceSeconds: 2,
  healthWaitSeconds: 20,
  deployHealthSeconds: 10,
  monitorSeconds: 0,
  monitorIntervalSeconds: 1,
  postRollbackMonitorSeconds: 0,
  dockerUnavailableSeconds: 60,
};

let runtimeInstalled = false;

export async function createTestEnv(
  name: string,
  opts: { roles?: ('orchestration' | 'host')[]; chaosActivityDelayMs?: number; address?: string } = {},
): Promise<TestEnv> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const address = opts.address ?? harnessState().address;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const dataConverter = testDataConverter();
  const client = new Client({ connection, dataConverter });
  const taskQueue = `test-${name}`;
  const host = `t-${name}`;
  const docker = new Docker();
  const dataDir = mkdtempSync(path.join(TEST_DIR, `${name}-`));
  const stacks = new Map<string, ResolvedStack>();
  const stackInputs: Record<string, unknown> = {};
  const configFile = path.join(dataDir, 'worker-config.yaml');
  writeFileSync(configFile, stringify({ dataDir, stacks: stackInputs }));
  const pinnedStacks = new PinnedStacks((n) => stacks.get(n));
  const workers: Worker[] = await createWorkers({
    connection: nativeConnection,
    namespace: 'default',
    host,
    roles: opts.roles ?? ['orchestration', 'host'],
    dataConverter,
    stacks: pinnedStacks,
    decisionKey: TEST_DECISION_KEY,
    docker,
    workflowBundle: { codePath: BUNDLE_FILE },
    taskQueue,
    chaosActivityDelayMs: opts.chaosActivityDelayMs,
  });
  const running = workers.map((w) => w.run());
  return {
    name,
    client,
    docker,
    taskQueue,
    host,
    dataDir,
    stack(stackName, o) {
      const services = o.services ?? ['godot', 'api', 'telemetry', 'assets'].slice(0, o.ports.length);
      stackInputs[stackName] = {
        host: o.host ?? host,
        services: Object.fromEntries(
          services.map((s, i) => [s, { healthUrl: `http://127.0.0.1:${o.ports[i]}/health` }]),
        ),
        statusUrl: `http://127.0.0.1:${o.ports[0]}/status`,
        smokeTests: services.map((s, i) => ({
          name: `${s} ready`,
          url: `http://127.0.0.1:${o.ports[i]}/status`,
          jsonPath: 'overall_ready',
          jsonEquals: true,
        })),
        timeouts: FAST_TIMEOUTS,
        ...o.config,
      };
      writeFileSync(configFile, stringify({ dataDir, stacks: stackInputs }));
      const config = configSchema.parse({
        dataDir,
        stacks: { [stackName]: stackInputs[stackName] },
        notifications: o.notifications ?? [],
        ...(o.escalation ? { escalation: { levels: o.escalation } } : {}),
        ...(o.github ? { github: o.github } : {}),
        ...(o.people ? { people: o.people } : {}),
        ...(o.publicUrl ? { api: { publicUrl: o.publicUrl } } : {}),
        ...(o.decisions ? { decisions: o.decisions } : {}),
      });
      const resolved = resolveStack(config, stackName);
      stacks.set(stackName, resolved);
      // Whatever runs under the stack's container names (fixtures, or what a rollback recreated) goes with it.
      onCleanup(() => removeFixtureStack(docker, resolved));
      return resolved;
    },
    stackConfig: (n) => stacks.get(n),
    pinned: (s) => {
      const pinned = pinnedStacks.current(s.name);
      if (!pinned) throw new Error(`stack ${s.name} was not made with env.stack()`);
      return pinned;
    },
    pinnedStacks,
    configFile,
    async start(procedure, args, opts) {
      if (procedure === 'escalation') {
        return client.workflow.start(PROCEDURES[procedure], {
          taskQueue,
          workflowId: procedureWorkflowId(procedure, args.stack.name, new Date()),
          args: [args],
          ...procedureStartMetadata(procedure, args),
        });
      }
      const { reply, handle } = await startProcedure(client, procedure, args, { taskQueue, ...opts });
      if (reply.outcome === 'busy') throw new Error(reply.message);
      return handle;
    },
    request: (procedure, args, opts) => startProcedure(client, procedure, args, { taskQueue, ...opts }),
    async teardown() {
      await recordOwnedHistories(client, taskQueue);
      workers.forEach((w) => w.shutdown());
      await Promise.all(running);
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** Containers on the engine that belong to a service of a compose project (proves "exactly one per service"). */
export async function containersOf(docker: Docker, project: string, service: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`] },
  });
}
