/** Pure evaluation of HTTP checks and metric thresholds. */
import type { MetricCheck, SmokeTest } from './config';

export interface HttpObservation {
  status: number;
  body: string;
  latencyMs: number;
}

export interface CheckResult {
  name: string;
  passed: boolean;
  detail: string;
}

/** Reads a dotted path ("a.b.0.c") from parsed JSON. */
export function jsonPathGet(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const key of path.split('.').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export function evaluateSmokeTest(test: SmokeTest, obs: HttpObservation): CheckResult {
  const fail = (detail: string): CheckResult => ({ name: test.name, passed: false, detail });
  if (obs.status !== test.expectStatus) return fail(`status ${obs.status}, expected ${test.expectStatus}`);
  if (obs.latencyMs > test.maxLatencyMs)
    return fail(`took ${Math.round(obs.latencyMs)} ms, bound ${test.maxLatencyMs} ms`);
  if (test.bodyContains !== undefined && !obs.body.includes(test.bodyContains)) {
    return fail(`body lacks ${JSON.stringify(test.bodyContains)}`);
  }
  if (test.jsonPath !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(obs.body);
    } catch {
      return fail('body is not JSON');
    }
    const got = jsonPathGet(parsed, test.jsonPath);
    if (test.jsonEquals !== undefined ? got !== test.jsonEquals : got === undefined) {
      return fail(
        `${test.jsonPath} is ${JSON.stringify(got)}, expected ${JSON.stringify(test.jsonEquals ?? '(present)')}`,
      );
    }
  }
  return { name: test.name, passed: true, detail: `status ${obs.status} in ${Math.round(obs.latencyMs)} ms` };
}

const COMPARE: Record<MetricCheck['op'], (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
};

export function evaluateMetric(check: MetricCheck, samples: number[]): CheckResult {
  if (samples.length === 0) {
    return { name: check.name, passed: check.allowEmpty, detail: 'query returned no samples' };
  }
  const bad = samples.filter((v) => !COMPARE[check.op](v, check.threshold));
  return {
    name: check.name,
    passed: bad.length === 0,
    detail: bad.length
      ? `values ${bad.join(', ')} not ${check.op} ${check.threshold}`
      : `${samples.length} sample(s) ${check.op} ${check.threshold}`,
  };
}

/** Lines of `lines` that match any of the patterns (case-insensitive regular expressions). */
export function matchErrorLines(lines: readonly string[], patterns: readonly string[]): string[] {
  const res = patterns.map((p) => new RegExp(p, 'i'));
  return lines.filter((l) => res.some((r) => r.test(l)));
}
