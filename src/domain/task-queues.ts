/** Routing: orchestration on one queue, Docker work on one queue per Docker host. */
export const ORCHESTRATION_TASK_QUEUE = 'lifeline';
export const hostTaskQueue = (host: string): string => `lifeline-host-${host}`;
