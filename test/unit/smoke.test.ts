import { evaluateMetric, evaluateSmokeTest, jsonPathGet, matchErrorLines } from '../../src/domain/smoke';
import { smokeTestSchema } from '../../src/domain/config';

const t = (o: object) => smokeTestSchema.parse({ name: 't', url: 'http://127.0.0.1:1/x', ...o });

test('smoke tests check status, latency, body and JSON paths', () => {
  expect(evaluateSmokeTest(t({}), { status: 200, body: '', latencyMs: 5 }).passed).toBe(true);
  expect(evaluateSmokeTest(t({}), { status: 503, body: '', latencyMs: 5 }).detail).toBe('status 503, expected 200');
  expect(evaluateSmokeTest(t({ maxLatencyMs: 10 }), { status: 200, body: '', latencyMs: 50 }).passed).toBe(false);
  expect(evaluateSmokeTest(t({ bodyContains: 'ok' }), { status: 200, body: 'not quite', latencyMs: 1 }).passed).toBe(
    false,
  );
  const json = t({ jsonPath: 'overall_ready', jsonEquals: true });
  expect(evaluateSmokeTest(json, { status: 200, body: '{"overall_ready": true}', latencyMs: 1 }).passed).toBe(true);
  expect(evaluateSmokeTest(json, { status: 200, body: '{"overall_ready": false}', latencyMs: 1 }).passed).toBe(false);
  expect(evaluateSmokeTest(json, { status: 200, body: 'nope', latencyMs: 1 }).detail).toBe('body is not JSON');
  expect(jsonPathGet({ a: [{ b: 3 }] }, 'a.0.b')).toBe(3);
});

test('metric thresholds apply to every sample; empty results fail unless allowed', () => {
  const c = { name: 'p95', query: 'q', op: '<' as const, threshold: 1, allowEmpty: false };
  expect(evaluateMetric(c, [0.2, 0.5]).passed).toBe(true);
  expect(evaluateMetric(c, [0.2, 1.5]).passed).toBe(false);
  expect(evaluateMetric(c, []).passed).toBe(false);
  expect(evaluateMetric({ ...c, allowEmpty: true }, []).passed).toBe(true);
});

test('error log patterns are case-insensitive', () => {
  expect(matchErrorLines(['ok', 'Error: boom', 'FATAL x', 'fine'], ['\\berror\\b', 'fatal'])).toEqual([
    'Error: boom',
    'FATAL x',
  ]);
});
