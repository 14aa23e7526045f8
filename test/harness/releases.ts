/**
 * Recording a known-good release of a fixture stack: up on `tag`, healthy, backed up through its owner.
 * `waitHealthy: false` records a tag that never gets healthy (a release that is "good" only on paper).
 */
import type { ResolvedStack } from '../../src/domain/config';
import type { ReleaseSummary } from '../../src/domain/release';
import { upFixtureStack, waitFixtureHealthy } from '../../src/fixtures/stack';
import type { TestEnv } from './env';

export async function recordGoodRelease(
  env: TestEnv,
  stack: ResolvedStack,
  tag = 'v2.4.9',
  { waitHealthy = true } = {},
): Promise<ReleaseSummary> {
  await upFixtureStack(env.docker, stack, tag);
  if (waitHealthy) await waitFixtureHealthy(env.docker, stack);
  const backup = await env.start('backup', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: `good ${tag}`,
    knownGood: true,
  });
  return ((await backup.result()) as { release: ReleaseSummary }).release;
}
