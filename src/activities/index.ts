/** Activity factories: host activities reach one Docker engine; orchestration activities reach people. */
import type { Client } from '@temporalio/client';
import Docker from 'dockerode';
import type { AxiosInstance } from 'axios';
import { createDockerActivities } from './docker';
import { createEvidenceActivities } from './evidence';
import { createHealthActivities } from './health';
import { createHostMachineActivities } from './host';
import { createIncidentNoteActivities } from './incident-notes';
import { createIngressActivities } from './ingress';
import { createNotifyActivities } from './notify';
import { createProcedureStatusActivities } from './procedure-status';
import { createReleaseActivities } from './releases';
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
  return {
    ...docker,
    ...volumes,
    ...createEvidenceActivities({ docker: deps.docker, dockerActivities: docker }),
    ...createIngressActivities({ docker: deps.docker, dockerActivities: docker }),
    ...createHostMachineActivities(),
    ...health,
    ...releases,
    ...createRollbackPreparation({ releases, health }),
  };
}

export function createOrchestrationActivities(deps: {
  http: AxiosInstance;
  githubToken?: () => string | undefined;
  client: Client;
  stacks: PinnedStacks;
}) {
  return {
    ...createNotifyActivities(deps),
    ...createIncidentNoteActivities(),
    ...createProcedureStatusActivities(deps),
    ...createStackSettingsActivities(deps),
    ...createStackHoldActivities(),
  };
}

export type HostActivities = ReturnType<typeof createHostActivities>;
export type OrchestrationActivities = ReturnType<typeof createOrchestrationActivities>;
