/** Builds Lifeline's workers: orchestration (workflows and notifications) and one Docker host's activities. */
import {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Next,
  Worker,
  WorkerOptions,
} from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import axios from 'axios';
import Docker from 'dockerode';
import { Agent } from 'node:http';
import { createHostActivities, createOrchestrationActivities } from '../activities';
import type { PinnedStacks } from '../config/pinned-stacks';
import { readSecret } from '../config/secrets';
import { PinnedStackInterceptor } from './pinned-stack-interceptor';
import { hostTaskQueue, ORCHESTRATION_TASK_QUEUE } from '../domain/task-queues';

export type WorkerRole = 'orchestration' | 'host';

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  /** Name of the Docker host this process reaches (its task queue is lifeline-host-<host>). */
  host: string;
  roles: WorkerRole[];
  docker?: Docker;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Orchestration task queue (default: lifeline). */
  taskQueue?: string;
  /** The stacks as this worker's own config describes them: every activity's settings come from here, never from a history. */
  stacks: PinnedStacks;
  /** Payload encryption: the same keys as every client. */
  dataConverter: DataConverter;
  /** Fault-injection only: every activity waits this long first, so a test can kill the worker inside one. */
  chaosActivityDelayMs?: number;
}

const WORKFLOWS_PATH = require.resolve('../workflows');
const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/step-summaries')];

/** Bundles Lifeline's workflow code once, for workers that should not bundle it themselves (tests, benchmarks). */
export async function bundleWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: new DefaultLogger('WARN'),
  });
  return code;
}

export async function createWorkers(setup: WorkerSetup): Promise<Worker[]> {
  // No keep-alive: each check measures a fresh connection, and a reloaded nginx cannot hang up a reused one.
  const http = axios.create({ maxRedirects: 3, httpAgent: new Agent({ keepAlive: false }) });
  const workers: Worker[] = [];
  const delay = setup.chaosActivityDelayMs;
  if (setup.roles.includes('orchestration')) {
    workers.push(
      await Worker.create({
        connection: setup.connection,
        namespace: setup.namespace,
        dataConverter: setup.dataConverter,
        taskQueue: setup.taskQueue ?? ORCHESTRATION_TASK_QUEUE,
        ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
        activities: createOrchestrationActivities({
          http,
          githubToken: () => readSecret('GITHUB_TOKEN'),
          client: new Client({
            connection: setup.connection,
            namespace: setup.namespace,
            dataConverter: setup.dataConverter,
          }),
          stacks: setup.stacks,
        }),
        interceptors: {
          // A prebuilt bundle already holds the workflow interceptors.
          ...(setup.workflowBundle ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }),
          activity: [() => ({ inbound: new PinnedStackInterceptor(setup.stacks) })],
        },
      }),
    );
  }
  if (setup.roles.includes('host')) {
    workers.push(
      await Worker.create({
        connection: setup.connection,
        namespace: setup.namespace,
        dataConverter: setup.dataConverter,
        taskQueue: hostTaskQueue(setup.host),
        activities: createHostActivities({ docker: setup.docker ?? new Docker(), host: setup.host, http }),
        interceptors: {
          activity: [
            () => ({ inbound: new PinnedStackInterceptor(setup.stacks) }),
            ...(delay ? [() => ({ inbound: new DelayActivities(delay) })] : []),
          ],
        },
      }),
    );
  }
  return workers;
}

class DelayActivities implements ActivityInboundCallsInterceptor {
  constructor(private readonly ms: number) {}
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    await new Promise((r) => setTimeout(r, this.ms));
    return next(input);
  }
}

/** Runs the workers until one stops or fails; on SIGINT/SIGTERM the SDK shuts them down gracefully. */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.run()));
}
