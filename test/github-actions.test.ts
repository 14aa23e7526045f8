/**
 * Runbook method 4: the shipped GitHub Actions workflow (.github/workflows/rollback.yml). A runner cannot
 * run here, so its script step runs as the runner would run it (bash, with the step's env), against
 * Lifeline's real API, server and engine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { fixtureContainer, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import type { ResolvedStack } from '../src/domain/config';
import type { ReleaseSummary } from '../src/domain/release';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import { ownerStateQuery } from '../src/workflows/definitions';
import { API_TOKEN, RunningApi, startApi } from './harness/api';
import { createTestEnv, TestEnv } from './harness/env';
import { TEST_DIR } from './harness/paths';
import { abortAndWait, followUp } from './harness/owner';
import { waitFor } from './harness/waits';

const WORKFLOW = parse(readFileSync(path.join(__dirname, '../.github/workflows/rollback.yml'), 'utf8')) as {
  on: { workflow_dispatch: { inputs: Record<string, { default?: string }> } };
  jobs: { rollback: { steps: { run: string; env: Record<string, string> }[] } };
};
const STEP = WORKFLOW.jobs.rollback.steps[0];
const PORTS = [16111, 16112];
let env: TestEnv;
let api: RunningApi;
let stack: ResolvedStack;

beforeAll(async () => {
  env = await createTestEnv('gha');
  stack = env.stack('ghstack', { ports: PORTS, services: ['godot', 'api'] });
  api = await startApi(env, { ghstack: { host: env.host, services: { godot: {}, api: {} } } });
});
afterAll(async () => {
  await api?.close();
  await env?.teardown();
});

/** Runs the step's script with the env a runner would give it for these inputs. */
function runStep(
  inputs: { deployment_id?: string; environment?: string },
  runId: string,
): Promise<{ code: number; out: string; outputs: string }> {
  const outputs = path.join(mkdtempSync(path.join(TEST_DIR, 'gha-')), 'output');
  const stepEnv = {
    PATH: process.env.PATH!,
    LIFELINE_URL: api.url,
    LIFELINE_API_TOKEN: API_TOKEN,
    DEPLOYMENT_ID: inputs.deployment_id ?? '',
    ENVIRONMENT: inputs.environment ?? WORKFLOW.on.workflow_dispatch.inputs.environment.default!,
    STACK: 'ghstack',
    REASON: WORKFLOW.on.workflow_dispatch.inputs.reason.default!,
    REQUESTED_BY: 'github:octocat',
    IDEMPOTENCY_KEY: `github-${runId}-1`,
    POLL_SECONDS: '1',
    GITHUB_OUTPUT: outputs,
  };
  // Every variable the step's script reads is one the workflow file sets.
  expect(Object.keys(STEP.env).sort()).toEqual(
    Object.keys(stepEnv)
      .filter((k) => !['PATH', 'GITHUB_OUTPUT'].includes(k))
      .sort(),
  );
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-c', STEP.run], { env: stepEnv });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        out,
        outputs: (() => {
          try {
            return readFileSync(outputs, 'utf8');
          } catch {
            return '';
          }
        })(),
      }),
    );
  });
}

async function release(tag: string, knownGood: boolean): Promise<ReleaseSummary> {
  await upFixtureStack(env.docker, stack, tag);
  if (tag !== 'v2.5.1') await waitFixtureHealthy(env.docker, stack);
  const b = await env.start('backup', { stack, trigger: 'cli', requestedBy: 'test', reason: tag, knownGood });
  return ((await b.result()) as { release: ReleaseSummary }).release;
}

test('the workflow rolls back to the named deployment and the job succeeds when the rollback does', async () => {
  const good = await release('v2.4.9', true);
  await upFixtureStack(env.docker, stack, 'v2.5.0'); // the bad deploy
  const job = await runStep({ deployment_id: good.id }, '101');
  expect(job.out).toContain(`ended COMPLETED (completed), release ${good.id}`);
  expect(job.code).toBe(0);
  expect(job.outputs).toMatch(/^workflow_id=specific-version-rollback:ghstack:\d{8}-\d{6}\n$/);
  for (const s of stack.services)
    expect(
      (await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).Config.Labels['lifeline.release'],
    ).toBe(good.id);
});

test('an environment the stack does not serve is refused and the job fails; nothing starts', async () => {
  const before = (await env.client.workflow.getHandle(ownerWorkflowId('ghstack')).query(ownerStateQuery)).started
    .length;
  const job = await runStep({ environment: 'staging' }, '102');
  expect(job.code).toBe(1);
  expect(job.out).toContain(
    '::error::Lifeline refused the rollback (HTTP 422): stack ghstack serves environment "production", not "staging"',
  );
  expect((await env.client.workflow.getHandle(ownerWorkflowId('ghstack')).query(ownerStateQuery)).started.length).toBe(
    before,
  );
});

test('a rollback that fails fails the job', async () => {
  const crashing = await release('v2.5.1', false);
  const job = await runStep({ deployment_id: crashing.id }, '103');
  expect(job.code).toBe(1);
  expect(job.out).toMatch(
    /::error::rollback specific-version-rollback:ghstack:\S+ did not complete: FAILED \(failed\)/,
  );
  // The rollback-failed procedure it handed over to is not this test's subject: stop it.
  const owner = env.client.workflow.getHandle(ownerWorkflowId('ghstack'));
  const running = await waitFor(
    async () => (await owner.query(ownerStateQuery)).running?.workflowId,
    'rollback-failed',
  );
  await abortAndWait(await followUp(env.client, running));
});
