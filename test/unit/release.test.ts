import type { ReleaseSummary } from '../../src/domain/release';
import {
  formatReleaseId,
  imageTagOf,
  nextReleaseId,
  releasesToPrune,
  rollbackCandidates,
  withImageTag,
} from '../../src/domain/release-rules';

const r = (id: string, o: Partial<ReleaseSummary> = {}): ReleaseSummary => ({
  id,
  stack: 's',
  createdAt: '',
  reason: '',
  imageTags: {},
  knownBad: false,
  knownGood: false,
  rolledBackFrom: false,
  fingerprint: id,
  services: 1,
  volumes: 0,
  ...o,
});

test('release IDs are YYYYMMDD-HHMMSS in UTC and unique', () => {
  const at = new Date(Date.UTC(2025, 11, 2, 14, 30, 22));
  expect(formatReleaseId(at)).toBe('20251202-143022');
  expect(nextReleaseId(at, new Set(['20251202-143022', '20251202-143023']))).toBe('20251202-143024');
});

test('image tags are read and replaced without touching a registry port', () => {
  expect(imageTagOf('lifeline-fixture/spacetime:v2.4.9')).toBe('v2.4.9');
  expect(imageTagOf('registry:5000/app')).toBe('latest');
  expect(withImageTag('registry:5000/app:v1', 'v2')).toBe('registry:5000/app:v2');
  expect(withImageTag('registry:5000/app', 'v2')).toBe('registry:5000/app:v2');
});

test('quick rollback skips known-bad releases, the current state and equal fingerprints', () => {
  const list = [
    r('20251202-150045', { knownBad: true }),
    r('20251202-143022', { fingerprint: 'same' }),
    r('20251201-160034'),
    r('20251201-120015'),
  ];
  expect(rollbackCandidates(list)[0]?.id).toBe('20251202-143022');
  expect(rollbackCandidates(list, { currentFingerprint: 'same' })[0]?.id).toBe('20251201-160034');
  expect(rollbackCandidates(list, { excluding: ['20251202-143022', '20251201-160034'] }).map((x) => x.id)).toEqual([
    '20251201-120015',
  ]);
  expect(rollbackCandidates(list, { olderThan: '20251201-160034' }).map((x) => x.id)).toEqual(['20251201-120015']);
  expect(rollbackCandidates([r('1', { knownBad: true })])).toEqual([]);
});

test('retention keeps the newest N and never the last known-good release', () => {
  const list = [
    r('20250105-000000'),
    r('20250104-000000'),
    r('20250103-000000'),
    r('20250102-000000', { knownGood: true }),
    r('20250101-000000', { knownGood: true }),
  ];
  expect(releasesToPrune(list, 2).sort()).toEqual(['20250101-000000', '20250103-000000']);
  expect(releasesToPrune(list, 10)).toEqual([]);
});
