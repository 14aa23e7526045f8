import type { OwnerState } from '../../src/domain/owner';

/** The procedures a stack's owner started that are rollbacks or emergencies (backups left out). */
export const rollbacksOf = (s: OwnerState): string[] => s.started.filter((id) => !id.startsWith('backup:'));
