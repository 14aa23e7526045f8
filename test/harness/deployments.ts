/** Worker Deployment reads and writes for the versioning test, through the client's workflow service. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { waitFor } from './waits';

const NAMESPACE = 'default';
const { VersioningBehavior } = temporal.api.enums.v1;
const { VersionDrainageStatus } = temporal.api.enums.v1;

export const buildIds = (versions: readonly WorkerDeploymentVersion[]): string[] => versions.map((v) => v.buildId);

/** The deployment's versions the server has seen a worker poll for, by build ID. */
export async function registeredBuildIds(client: Client, deploymentName: string): Promise<string[]> {
  const { workerDeploymentInfo } = await client.workflowService.describeWorkerDeployment({
    namespace: NAMESPACE,
    deploymentName,
  });
  return (workerDeploymentInfo?.versionSummaries ?? []).map((s) => s.deploymentVersion?.buildId ?? '').sort();
}

/** Waits until a worker of every given version has polled (the server refuses to make an unseen version current). */
export function waitForVersions(client: Client, versions: readonly WorkerDeploymentVersion[]): Promise<string[]> {
  const [{ deploymentName }] = versions;
  const wanted = buildIds(versions);
  return waitFor(
    async () => {
      const seen = await registeredBuildIds(client, deploymentName);
      return wanted.every((b) => seen.includes(b)) ? seen : undefined;
    },
    `the server to see versions ${wanted.join(', ')} of ${deploymentName}`,
  );
}

/** What an operator does with `temporal worker deployment set-current-version`. */
export async function setCurrentVersion(client: Client, version: WorkerDeploymentVersion): Promise<void> {
  await client.workflowService.setWorkerDeploymentCurrentVersion({
    namespace: NAMESPACE,
    deploymentName: version.deploymentName,
    buildId: version.buildId,
    identity: 'versioning-test',
  });
}

/** The deployment's current version as the server reports it. */
export async function currentBuildId(client: Client, deploymentName: string): Promise<string | undefined> {
  const { workerDeploymentInfo } = await client.workflowService.describeWorkerDeployment({
    namespace: NAMESPACE,
    deploymentName,
  });
  return workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? undefined;
}

/** A version's drainage status (DRAINING while pinned workflows may still need it, DRAINED once none can). */
export async function drainageStatus(client: Client, version: WorkerDeploymentVersion): Promise<string> {
  const { workerDeploymentVersionInfo } = await client.workflowService.describeWorkerDeploymentVersion({
    namespace: NAMESPACE,
    deploymentVersion: version,
  });
  const status =
    workerDeploymentVersionInfo?.drainageInfo?.status ?? VersionDrainageStatus.VERSION_DRAINAGE_STATUS_UNSPECIFIED;
  return VersionDrainageStatus[status];
}

/** The run's versioning as DescribeWorkflowExecution reports it: behavior and the version it runs on. */
export async function versioningOf(handle: WorkflowHandle): Promise<{ behavior: string; buildId?: string }> {
  const { raw } = await handle.describe();
  const info = raw.workflowExecutionInfo?.versioningInfo;
  return {
    behavior: VersioningBehavior[info?.behavior ?? VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED],
    buildId: info?.deploymentVersion?.buildId ?? undefined,
  };
}

/** Every completed workflow task of the run, in order: which build ran it and under which behavior. */
export async function workflowTasks(handle: WorkflowHandle): Promise<{ buildId?: string; behavior: string }[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowTaskCompletedEventAttributes)
    .filter((a): a is temporal.api.history.v1.IWorkflowTaskCompletedEventAttributes => !!a)
    .map((a) => ({
      buildId: a.deploymentVersion?.buildId ?? undefined,
      behavior: VersioningBehavior[a.versioningBehavior ?? VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED],
    }));
}
