/**
 * The stack's settings as the owner uses them: read from the worker's own config by activity, afresh for
 * every procedure it starts (a new procedure uses the current file) and kept for triage's notices.
 */
import type { ResolvedStack, StackRef } from '../../domain/config';
import { workerConfig } from '../activities';

/** A request's stack pinned to the worker's current config; a request naming settings the config lacks is refused. */
export function pinStack(requested: StackRef & Partial<ResolvedStack>): Promise<ResolvedStack> {
  return workerConfig.loadStack({ requested });
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
    // A burst of alerts before the first read shares that one read.
    this.reading ??= this.load(this.named).finally(() => (this.reading = undefined));
    return this.reading;
  }
}
