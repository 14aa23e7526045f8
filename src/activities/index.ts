/**
 * Activity factories: host activities reach one Docker engine; orchestration activities reach people.
 * Each object below is the whole surface a worker registers: every entry takes a pinned stack and names
 * or IDs, and derives specs, paths, commands and URLs from the worker's own config and release store. The
 * raw Docker and volume operations behind them (exec, logs, a spec, an archive path) are not registered.
 */
import type { Client } from '@temporalio/client';
import Docker from 'dockerode';
import type { AxiosInstance } from 'axios';
import type { ResolvedStack } from '../domain/config';
import { createDockerActivities } from './docker';
import { createEvidenceActivities } from './evidence';
import { createHealthActivities } from './health';
import { createHostMachineActivities } from './host';
import { createIncidentNoteActivities } from './incident-notes';
import { createIngressActivities } from './ingress';
import { createGaplessSwap } from './gapless-swap';
import { createNotifyActivities } from './notify';
import { createDecisionProofActivities } from './decision-proofs';
import { createPeopleActivities } from './people';
import { createProcedureStatusActivities } from './procedure-status';
import { createReleaseActivities } from './releases';
import { createReleaseRestoreActivities } from './release-restores';
import { createRollbackPreparation } from './rollback-preparation';
import { createVolumeActivities } from './volumes';
import { createStackSettingsActivities } from './stack-settings';
import { createStackHoldActivities } from './stack-holds';
import type { PinnedStacks } from '../config/pinned-stacks';

export function createHostActivities(deps: { docker: Docker; host: string; http: AxiosInstance }) {
  const docker = createDockerActivities(deps.docker);
  const volumes = createVolumeActivities({ docker: deps.docker });
  const health = createHealthActivities({ docker, http: deps.http });
  const releases = createReleaseActivities({ docker, volumes, host: deps.host });
  const restores = createReleaseRestoreActivities({ docker, volumes, releases });
  const evidence = createEvidenceActivities({ docker: deps.docker, dockerActivities: docker });
  const machine = createHostMachineActivities();
  const ingress = createIngressActivities({ docker: deps.docker, dockerActivities: docker });
  return {
    ...releases,
    ...restores,
    ...health,
    ...createRollbackPreparation({ releases, health }),
    switchNginxUpstream: ingress.switchNginxUpstream,
    swapBehindIngress: createGaplessSwap({ docker, ingress, releases, http: deps.http }).swapBehindIngress,
    collectEvidence: evidence.collectEvidence,
    snapshotVolumes: volumes.snapshotVolumes,
    diskFree: machine.diskFree,
    runHostCommand: machine.runHostCommand,
    inspectStack: docker.inspectStack,
    containersOfProject: docker.containersOfProject,
    stopContainers: docker.stopContainers,
    startContainers: docker.startContainers,
    // Engine-wide work still names a pinned stack: only a procedure of a stack this worker serves runs it.
    listAllContainers: (_stack: ResolvedStack) => docker.listAllContainers(),
    pruneSafe: (_stack: ResolvedStack) => docker.pruneSafe(),
    pruneVolumes: (_stack: ResolvedStack) => docker.pruneVolumes(),
  };
}

export function createOrchestrationActivities(deps: {
  http: AxiosInstance;
  githubToken?: () => string | undefined;
  client: Client;
  stacks: PinnedStacks;
  /** Seals decision links and opens the API's proofs (LIFELINE_DECISION_KEY); none: no links, no proofs. */
  decisionKey?: string;
}) {
  return {
    ...createNotifyActivities(deps),
    ...createPeopleActivities(deps),
    ...createDecisionProofActivities(deps),
    ...createIncidentNoteActivities(),
    ...createProcedureStatusActivities(deps),
    ...createStackSettingsActivities(deps),
    ...createStackHoldActivities(),
  };
}

export type HostActivities = ReturnType<typeof createHostActivities>;
export type OrchestrationActivities = ReturnType<typeof createOrchestrationActivities>;
