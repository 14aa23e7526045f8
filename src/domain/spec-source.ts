/**
 * What a swap makes, named by IDs only: a recorded release, optionally with the app services' image tag
 * changed. The host worker reads the specs from its own release store, so no caller ever hands it a spec.
 */
import type { ResolvedStack } from './config';
import type { ContainerSpec, Release } from './release';
import { withImageTag } from './release-rules';

export interface SpecSource {
  /** The recorded release whose specs are made. */
  release: string;
  /** The app services (config `appImage`) run this tag of their image instead; everything else is kept. */
  imageTag?: string;
  /** What the made containers are labelled with (the release ID, `image:<tag>`, ...). */
  label: string;
}

/** One start wave of a swap: the services of the source it makes. */
export type WaveSource = SpecSource & { services: string[] };

/** The release's specs as `source` asks for them: retagged when it names an image tag. */
export function specsOf(
  stack: ResolvedStack,
  release: Pick<Release, 'services'>,
  source: Omit<SpecSource, 'label' | 'release'>,
): ContainerSpec[] {
  if (source.imageTag === undefined) return release.services;
  const appServices = new Set(stack.services.filter((s) => s.appImage).map((s) => s.name));
  const tag = source.imageTag;
  return release.services.map((s) => (appServices.has(s.service) ? { ...s, image: withImageTag(s.image, tag) } : s));
}

/** The specs of one wave; a service the release does not hold is refused (it would make nothing). */
export function waveSpecs(stack: ResolvedStack, release: Release, wave: WaveSource): ContainerSpec[] {
  const wanted = new Set(wave.services);
  const specs = specsOf(stack, release, wave).filter((s) => wanted.has(s.service));
  const missing = wave.services.filter((name) => !specs.some((s) => s.service === name));
  if (missing.length) throw new Error(`release ${release.id} holds no service ${missing.join(', ')}`);
  return specs;
}
