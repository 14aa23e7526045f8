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
import type { Context } from '@temporalio/activity';
import { Client } from '@temporalio/client';
import type { DataConverter, WorkerDeploymentVersion } from '@temporalio/common';
import axios from 'axios';
import Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import path from 'node:path';
import { createHostActivities, createOrchestrationActivities } from '../activities';
import type { WorkerRole } from '../config/env';
import type { PinnedStacks } from '../config/pinned-stacks';
import { readSecret } from '../config/secrets';
import { temporalIdentity } from '../client/temporal';
import { FAILURE_CONVERTER_PATH } from '../codec/data-converter';
import { activityArgumentSchemas } from './activity-arguments';
import { ActivityArgumentsInterceptor } from './activity-arguments-interceptor';
import { hostTaskQueue, ORCHESTRATION_TASK_QUEUE } from '../domain/task-queues';

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
  /** Seals decision links and opens the API's decision proofs: the API's and this worker's alone. */
  decisionKey?: string;
  /** Fault-injection only: every activity waits this long first, so a test can kill the worker inside one. */
  chaosActivityDelayMs?: number;
  /**
   * Worker Deployment versioning of the orchestration worker (docs/VERSIONING.md). Unset: the worker is
   * unversioned and takes every task of its queue, as before; the host worker (activities only) always is.
   */
  versioning?: WorkerVersioning;
}

/** Which build of Lifeline a versioned orchestration worker runs: a version of a Worker Deployment. */
export interface WorkerVersioning {
  /** The operator's name for this build (a release tag, a commit); the build ID is `<package.json version>+<buildId>`. */
  buildId: string;
  /** The Worker Deployment (default: lifeline): one per Lifeline installation sharing a namespace. */
  deploymentName?: string;
}

export const DEFAULT_DEPLOYMENT_NAME = 'lifeline';

/** Read at run time: the file sits two levels above both src/worker and dist/worker. */
const packageVersion = (): string =>
  (JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;

/** The deployment version a worker with these options reports, as `temporal worker deployment` names it. */
export function deploymentVersion(v: WorkerVersioning): WorkerDeploymentVersion {
  if (!v.buildId.trim()) throw new Error('a versioned worker needs a non-empty build ID');
  return { deploymentName: v.deploymentName ?? DEFAULT_DEPLOYMENT_NAME, buildId: `${packageVersion()}+${v.buildId}` };
}

const WORKFLOWS_PATH = require.resolve('../workflows');
const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/step-summaries')];

/** Bundles Lifeline's workflow code once, for workers that should not bundle it themselves (tests, benchmarks). */
export async function bundleWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    // The same failure converter as the workers' data converter: a bundle is built once for all of them.
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  });
  return code;
}

export async function createWorkers(setup: WorkerSetup): Promise<Worker[]> {
  // No keep-alive: each check measures a fresh connection, and a reloaded nginx cannot hang up a reused one.
  const http = axios.create({ maxRedirects: 3, httpAgent: new Agent({ keepAlive: false }) });
  const workers: Worker[] = [];
  const delay = setup.chaosActivityDelayMs;
  const schemas = activityArgumentSchemas(setup.stacks);
  const checkArguments = (ctx: Context) => ({
    inbound: new ActivityArgumentsInterceptor(schemas, ctx.info),
  });
  if (setup.roles.includes('orchestration')) {
    workers.push(
      await Worker.create({
        connection: setup.connection,
        namespace: setup.namespace,
        dataConverter: setup.dataConverter,
        identity: temporalIdentity('orchestration-worker'),
        taskQueue: setup.taskQueue ?? ORCHESTRATION_TASK_QUEUE,
        // A procedure ends on the build that started it; the stack owner says AUTO_UPGRADE for itself.
        ...(setup.versioning
          ? {
              workerDeploymentOptions: {
                version: deploymentVersion(setup.versioning),
                useWorkerVersioning: true,
                defaultVersioningBehavior: 'PINNED',
              },
            }
          : {}),
        ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
        activities: createOrchestrationActivities({
          http,
          githubToken: () => readSecret('GITHUB_TOKEN'),
          client: new Client({
            connection: setup.connection,
            namespace: setup.namespace,
            dataConverter: setup.dataConverter,
            identity: temporalIdentity('orchestration-worker'),
          }),
          stacks: setup.stacks,
          decisionKey: setup.decisionKey,
        }),
        interceptors: {
          // A prebuilt bundle already holds the workflow interceptors.
          ...(setup.workflowBundle ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }),
          activity: [checkArguments],
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
        identity: temporalIdentity('host-worker'),
        taskQueue: hostTaskQueue(setup.host),
        activities: createHostActivities({ docker: setup.docker ?? new Docker(), host: setup.host, http }),
        interceptors: {
          activity: [checkArguments, ...(delay ? [() => ({ inbound: new DelayActivities(delay) })] : [])],
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
