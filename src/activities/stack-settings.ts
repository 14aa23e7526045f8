/** A new procedure's stack settings, read from this worker's own config file when the procedure starts. */
import type { PinnedStacks } from '../config/pinned-stacks';
import type { ResolvedStack, StackRef } from '../domain/config';

export function createStackSettingsActivities(deps: { stacks: PinnedStacks }) {
  return {
    /**
     * The stack as the config says now, pinned by its hash; a request naming other settings is refused (BadInput).
     * Wrapped in `{ requested }` because what a request names is not yet a pinned stack to check.
     */
    async loadStack({ requested }: { requested: StackRef & Partial<ResolvedStack> }): Promise<ResolvedStack> {
      return deps.stacks.load(requested);
    },
  };
}
