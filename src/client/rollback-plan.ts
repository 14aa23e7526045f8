/**
 * Reads what a plan needs, changing nothing: the running containers and the release store on this host's
 * engine and data directory (as `lifeline doctor` does, so run it on the stack's host), and the stack
 * owner's hold, running procedure and last end from Temporal. The rules live in domain/rollback-plan.
 */
import Docker from 'dockerode';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createDockerActivities } from '../activities/docker';
import { readRunningState } from '../activities/releases';
import { createStackHoldActivities } from '../activities/stack-holds';
import type { ResolvedStack } from '../domain/config';
import type { OwnerState } from '../domain/owner';
import {
  buildPlan,
  chooseTarget,
  ConfigFilePlan,
  OwnerView,
  ownerAnswer,
  PlanMethod,
  RollbackPlan,
} from '../domain/rollback-plan';
import type { Release } from '../domain/release';
import { specsOf } from '../domain/spec-source';
import { ownerWorkflowId } from '../domain/workflow-ids';
import { sha256File } from '../store/files';
import { ReleaseStore } from '../store/release-store';
import { ownerStateQuery } from '../workflows/definitions';
import type { CommandContext } from './context';

/** The owner's view of the stack; a stack no procedure ran on since its owner ended may still have a recorded hold. */
async function readOwner(c: CommandContext, stack: ResolvedStack): Promise<OwnerView> {
  try {
    const state: OwnerState = await (
      await c.client()
    ).workflow
      .getHandle(ownerWorkflowId(stack.name))
      .query(ownerStateQuery);
    return { hold: state.hold, running: state.running, lastEnded: state.lastEnded };
  } catch (err) {
    if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
    // A fresh owner finds this record again: the next request would meet the hold.
    return { hold: (await createStackHoldActivities().readHold(stack)) ?? undefined };
  }
}

async function configFilesNow(release: Release): Promise<ConfigFilePlan[]> {
  return Promise.all(
    release.configFiles.map(async (f) => {
      const now = await sha256File(f.source).catch(() => undefined);
      return { path: f.source, now: !now ? 'missing' : now.sha256 === f.sha256 ? 'unchanged' : 'changed' };
    }),
  );
}

/**
 * What would fail the procedure on the way: a configured file the backup before it cannot copy, and the
 * target's stored copies of config files that no longer match their checksums (the restore checks them).
 */
async function fileProblems(stack: ResolvedStack, store: ReleaseStore, release?: Release): Promise<string[]> {
  const missing = await Promise.all(
    stack.configFiles.map(async (f) => ((await stat(f).catch(() => undefined))?.isFile() ? undefined : f)),
  );
  const damaged = await Promise.all(
    (release?.configFiles ?? []).map(async (f) => {
      const copy = await sha256File(path.join(store.releaseDir(stack.name, release!.id), f.stored)).catch(
        () => undefined,
      );
      return copy?.sha256 === f.sha256 ? undefined : f.source;
    }),
  );
  return [
    ...missing.flatMap((f) => (f ? [`config file ${f} does not exist: the backup taken first cannot copy it`] : [])),
    ...damaged.flatMap((f) =>
      f ? [`the release's copy of ${f} is missing or damaged: its restore would refuse it`] : [],
    ),
  ];
}

export async function readRollbackPlan(
  c: CommandContext,
  stack: ResolvedStack,
  method: PlanMethod,
  opts: { queue?: boolean; force?: boolean } = {},
): Promise<RollbackPlan> {
  const docker = createDockerActivities(new Docker());
  const store = new ReleaseStore(stack.dataDir);
  const [state, releases, owner, states] = await Promise.all([
    readRunningState(docker, stack),
    store.list(stack.name),
    readOwner(c, stack),
    docker.inspectStack(stack),
  ]);
  const choice = chooseTarget(method, releases, state?.fingerprint ?? null);
  const release = choice.releaseId ? await store.get(stack.name, choice.releaseId) : undefined;
  const imageTag = method.method === 'image-tag' || method.method === 'deploy' ? method.imageTag : undefined;
  const source = release ?? (imageTag && state ? { services: state.services } : undefined);
  const blueGreen =
    method.method === 'blue-green' && stack.blueGreen
      ? {
          blue: (await docker.containersOfProject(stack, 'blue')).map((x) => x.name),
          green: (await docker.containersOfProject(stack, 'green')).map((x) => x.name),
        }
      : undefined;
  return buildPlan({
    stack,
    method,
    choice,
    running: state?.services ?? [],
    source,
    configFiles: release ? await configFilesNow(release) : [],
    missingImages: source ? await docker.missingImages(specsOf(stack, source, { imageTag }).map((s) => s.image)) : [],
    // Blue-green takes no backup and restores no file.
    fileProblems: method.method === 'blue-green' ? [] : await fileProblems(stack, store, release),
    runningPorts: Object.fromEntries(states.map((st) => [st.service, st.port])),
    owner: ownerAnswer(stack.name, method, owner, { ...opts, nowMs: Date.now() }),
    blueGreen,
  });
}
