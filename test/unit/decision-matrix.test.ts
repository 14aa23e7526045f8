import { actionAsksPerson, actionRollsBack, decide, nextDecisionPointMs } from '../../src/domain/decision-matrix';

const MIN = 60_000;

test.each([
  ['critical', 0, 'rollback-now'],
  ['critical', 60 * MIN, 'rollback-now'],
  ['high', 5 * MIN + 1, 'rollback'],
  ['high', 5 * MIN, 'monitor-closely'],
  ['high', 0, 'monitor-closely'],
  ['medium', 15 * MIN + 1, 'consider-rollback'],
  ['medium', 15 * MIN, 'monitor'],
  ['medium', MIN, 'monitor'],
  ['low', 0, 'log'],
  ['low', 24 * 60 * MIN, 'log'],
] as const)('%s for %d ms → %s', (severity, duration, action) => {
  expect(decide(severity, duration)).toBe(action);
});

test('only rollback actions roll back, and only consider-rollback asks a person', () => {
  expect(actionRollsBack('rollback-now')).toBe(true);
  expect(actionRollsBack('rollback')).toBe(true);
  expect(actionRollsBack('monitor-closely')).toBe(false);
  expect(actionAsksPerson('consider-rollback')).toBe(true);
  expect(actionAsksPerson('rollback')).toBe(false);
});

test('the next decision point is when the answer changes', () => {
  expect(nextDecisionPointMs('high', 2 * MIN)).toBe(3 * MIN + 1);
  expect(decide('high', 2 * MIN + nextDecisionPointMs('high', 2 * MIN)!)).toBe('rollback');
  expect(nextDecisionPointMs('high', 6 * MIN)).toBeUndefined();
  expect(nextDecisionPointMs('medium', 0)).toBe(15 * MIN + 1);
  expect(nextDecisionPointMs('critical', 0)).toBeUndefined();
  expect(nextDecisionPointMs('low', 0)).toBeUndefined();
});
