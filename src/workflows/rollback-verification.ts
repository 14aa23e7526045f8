/** Runbook "Rollback Verification": health, smoke tests, status API, error logs, metrics, then a monitoring window. */
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { closeWindow, openWindow } from './steps/monitoring-window';
import type { ResolvedStack } from '../domain/config';
import type { CheckResult } from '../domain/smoke';
import type { VerificationReport } from '../domain/verification';
import { hostActivities, longHostActivities } from './activities';
import { requireProcedureParent } from './steps/procedure-child';

export interface VerificationInput {
  stack: ResolvedStack;
  /** Unix seconds; error logs are scanned from here on (the rollback's start). */
  sinceUnix?: number;
  monitorSeconds?: number;
}

export async function rollbackVerification(input: VerificationInput): Promise<VerificationReport> {
  requireProcedureParent(input?.stack);
  const { stack } = input;
  const docker = hostActivities(stack);
  const checks: CheckResult[] = [];
  let healthy = '';
  try {
    const h = await longHostActivities(stack, stack.timeouts.healthWaitSeconds).waitForStackHealthy(stack, {
      timeoutSeconds: stack.timeouts.healthWaitSeconds,
      stableSeconds: stack.timeouts.healthStableSeconds,
    });
    healthy = `${h.healthy}/${h.total} services healthy`;
    checks.push({ name: 'containers healthy', passed: true, detail: healthy });
  } catch (err) {
    healthy = err instanceof ApplicationFailure ? err.message : String(err);
    checks.push({ name: 'containers healthy', passed: false, detail: healthy });
  }
  const [smoke, status, errorLines, metrics] = await Promise.all([
    docker.runSmokeTests(stack),
    // Only what is configured runs: an activity scheduled for nothing would change the history's commands.
    stack.statusUrl ? docker.checkStatusApi(stack) : Promise.resolve(undefined),
    docker.scanErrorLogs(stack, input.sinceUnix),
    stack.prometheus ? docker.queryPrometheus(stack) : Promise.resolve([]),
  ]);
  checks.push(...smoke.map((c) => ({ ...c, name: `smoke: ${c.name}` })));
  if (status) checks.push(status);
  // Which services, not the lines: a check's detail reaches notifications, and a log line may hold a secret.
  const noisy = [...new Set(errorLines.map((l) => l.service))];
  checks.push({
    name: 'error logs',
    passed: errorLines.length === 0,
    detail: `${errorLines.length} matching line(s)${noisy.length ? ` from ${noisy.join(', ')}` : ''}`,
  });
  checks.push(...metrics.map((c) => ({ ...c, name: `metric: ${c.name}` })));

  const monitorSeconds = input.monitorSeconds ?? stack.timeouts.monitorSeconds;
  const interval = Math.max(1, stack.timeouts.monitorIntervalSeconds);
  let samples = 0;
  const window = openWindow('verification monitoring', checks.every((c) => c.passed) ? monitorSeconds : 0);
  for (let waited = 0; checks.every((c) => c.passed) && waited < monitorSeconds; waited += interval) {
    await sleep(`${Math.min(interval, monitorSeconds - waited)}s`);
    samples++;
    window.samples = samples;
    const states = await docker.inspectStack(stack);
    const sick = states.filter((s) => !s.running || s.health === 'unhealthy');
    const sampleSmoke = await docker.runSmokeTests(stack);
    const failed = [
      ...sick.map((s) => `${s.service} ${s.status}/${s.health}`),
      ...sampleSmoke.filter((c) => !c.passed).map((c) => c.name),
    ];
    if (failed.length) checks.push({ name: `monitor sample ${samples}`, passed: false, detail: failed.join(', ') });
    window.failures += failed.length;
  }
  closeWindow();
  return { passed: checks.every((c) => c.passed), healthy, checks, errorLines, monitorSamples: samples };
}
