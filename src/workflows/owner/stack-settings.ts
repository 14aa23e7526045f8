/**
 * The stack's settings as the owner uses them: read from the worker's own config by activity, afresh for
 * every procedure it starts (a new procedure uses the current file) and kept for triage's notices.
 */
import { patched } from '@temporalio/workflow';
import type { ResolvedStack, StackRef } from '../../domain/config';
import { orchestration, workerConfig } from '../activities';

/** Runs started before workers read their own config carried the settings in their input, and keep them. */
export const WORKER_CONFIG_PATCH = 'worker-config';
/** Runs from before a burst of reads shared one read the config once per alert, and keep doing so. */
const SHARED_CONFIG_READ_PATCH = 'shared-config-read';
/** Runs from before the config read was a local activity read it through the orchestration task queue. */
const LOCAL_CONFIG_READ_PATCH = 'local-config-read';

/** A request's stack pinned to the worker's current config; a request naming settings the config lacks is refused. */
export async function pinStack(requested: StackRef & Partial<ResolvedStack>): Promise<ResolvedStack> {
  if (!patched(WORKER_CONFIG_PATCH)) return requested as ResolvedStack;
  if (patched(LOCAL_CONFIG_READ_PATCH)) return workerConfig.loadStack({ requested });
  return orchestration.loadStack({ requested });
}

export class StackSettings {
  private latest: ResolvedStack | undefined;
  private reading: Promise<ResolvedStack> | undefined;

  constructor(private readonly named: StackRef) {}

  get name(): string {
    return this.named.name;
  }

  /** Fresh from the worker's config, for a new procedure. */
  async load(requested: StackRef & Partial<ResolvedStack>): Promise<ResolvedStack> {
    this.latest = await pinStack(requested);
    return this.latest;
  }

  /** The settings last read (read now if none were yet), for triage's notices and questions. */
  async current(): Promise<ResolvedStack> {
    if (this.latest) return this.latest;
    // A burst of alerts before the first read shares that one read (older histories read once per alert).
    if (!patched(SHARED_CONFIG_READ_PATCH)) return this.load(this.named);
    this.reading ??= this.load(this.named).finally(() => (this.reading = undefined));
    return this.reading;
  }
}
