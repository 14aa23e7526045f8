import type { ResolvedStack } from '../../domain/config';
import type { ContainerSpec } from '../../domain/release';
import { withImageTag } from '../../domain/release-rules';

/** The running specs with the app services' image tag changed and everything else kept. */
export function retagSpecs(stack: ResolvedStack, specs: ContainerSpec[], tag: string): ContainerSpec[] {
  const appServices = new Set(stack.services.filter((s) => s.appImage).map((s) => s.name));
  return specs.map((s) => (appServices.has(s.service) ? { ...s, image: withImageTag(s.image, tag) } : s));
}
