/** The workflow function of each owned procedure, so the owner starts children by reference. */
import type { OwnedProcedure } from '../../domain/ownership';
import { automaticRollback } from '../automatic-rollback';
import { backup } from '../backup';
import { blueGreenRollback } from '../blue-green-rollback';
import { completeServiceOutage } from '../complete-service-outage';
import { containerRollback } from '../container-rollback';
import { dataCorruption } from '../data-corruption';
import { interactiveRollback } from '../interactive-rollback';
import { quickRollback } from '../quick-rollback';
import { rollbackFailed } from '../rollback-failed';
import { securityBreach } from '../security-breach';
import { specificVersionRollback } from '../specific-version-rollback';

export const PROCEDURE_WORKFLOWS = {
  'quick-rollback': quickRollback,
  'interactive-rollback': interactiveRollback,
  'specific-version-rollback': specificVersionRollback,
  'container-rollback': containerRollback,
  'blue-green-rollback': blueGreenRollback,
  'automatic-rollback': automaticRollback,
  'rollback-failed': rollbackFailed,
  'complete-service-outage': completeServiceOutage,
  'data-corruption': dataCorruption,
  'security-breach': securityBreach,
  backup,
} satisfies Record<OwnedProcedure, (...args: never[]) => Promise<unknown>>;
