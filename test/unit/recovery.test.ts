/** Recovery phases from a procedure's timeline: each phase's span, the time to healthy, the RTO verdict. */
import { recoveryLine, recoveryOf, recoveryTable } from '../../src/domain/recovery';

const at = (s: number) => new Date(Date.UTC(2026, 11, 5, 12, 0, 0) + s * 1000).toISOString();
const timeline = [
  { at: at(0), step: 'incident logged' },
  { at: at(1), step: 'waiting for security team' },
  { at: at(31), step: 'approval by ann (link)' },
  { at: at(32), step: 'start target version beside the running one, switch the ingress, stop the old' },
  { at: at(35), step: 'swapped' },
  { at: at(35), step: 'wait for health (60s)' },
  { at: at(38), step: 'verify' },
  { at: at(48), step: 'verification', detail: 'passed' },
  { at: at(108), step: 'completed' },
];

test('each phase spans from its step to the next; time to healthy runs from the start to the health wait’s end', () => {
  const r = recoveryOf(timeline)!;
  expect(r.phases.map((p) => [p.phase, p.ms / 1000])).toEqual([
    ['decision', 30],
    ['swap', 3],
    ['healthy', 3],
    ['verified', 10],
    ['watched', 60],
  ]);
  expect(r.toHealthyMs).toBe(38_000);
  expect(r.withinRto).toBe(true);
  expect(recoveryLine(r)).toBe(
    'decision 30.0 s · swap 3.0 s · healthy 3.0 s · verified 10.0 s · watched 60.0 s (healthy after 38.0 s; RTO 180 s)',
  );
  expect(recoveryTable(r)).toContain('Time to healthy: 38.0 s, within the RTO of 180 s.');
});

test('over the RTO, and a procedure that never reached health, say so', () => {
  const slow = timeline.map((e, i) => (i >= 6 ? { ...e, at: at(200 + i) } : e));
  expect(recoveryOf(slow)!.withinRto).toBe(false);
  const denied = recoveryOf(timeline.slice(0, 3))!;
  expect(denied.toHealthyMs).toBeUndefined();
  expect(recoveryTable(denied)).toContain('The stack was not brought to healthy by this procedure.');
  expect(recoveryOf([])).toBeUndefined();
});
