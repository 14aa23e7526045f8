/** Operators in the Temporal Web UI: find, open and read a procedure in a real browser; retry by reset. */
import { followUp } from './harness/owner';
import { ownerStateQuery } from '../src/workflows/definitions';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { chromium, Browser, Page } from 'playwright-core';
import { stringify } from 'yaml';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import type { ReleaseSummary } from '../src/domain/release';
import { API_TOKEN, startApi } from './harness/api';
import { lifeline } from './harness/cli';
import { createTestEnv, FAST_TIMEOUTS, harnessState, TestEnv } from './harness/env';
import { ROOT } from './harness/paths';
import { startRecorder } from './harness/recorder';
import { waitFor, waitForPending } from './harness/waits';
import { failureMessage } from './harness/failures';

const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'web-ui');
const CHROMIUM = process.env.LIFELINE_CHROMIUM ?? '/usr/bin/chromium';
let env: TestEnv;
let browser: Browser;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  env = await createTestEnv('webui');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await env?.teardown();
});

/** Waits until the User Metadata tab shows `text`, reloading now and then; on failure, saves what it showed. */
async function seeMetadata(page: Page, text: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  let shown = '';
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    if (attempt > 0) await page.reload().catch(() => undefined);
    // A UI slow to render on a loaded machine is tried again after a reload, within the deadline.
    const tab = await page
      .getByText('User Metadata', { exact: true })
      .click({ timeout: 15_000 })
      .then(
        () => true,
        () => false,
      );
    if (!tab) continue;
    for (let i = 0; i < 12; i++) {
      // Summary, details and current details are Markdown rendered in frames of their own.
      const texts = await Promise.all(
        page.frames().map((f) =>
          f
            .locator('body')
            .innerText()
            .catch(() => ''),
        ),
      );
      shown = texts.join('\n');
      if (shown.replace(/\s+/g, ' ').includes(text)) return;
      await page.waitForTimeout(250);
    }
  }
  writeFileSync(path.join(ARTIFACTS, 'failure.txt'), shown);
  throw new Error(`the page never showed ${JSON.stringify(text)}; what it showed is in ${ARTIFACTS}/failure.txt`);
}

async function goodRelease(name: string, ports: number[]) {
  const stack = env.stack(name, { ports, services: ['godot', 'api'].slice(0, ports.length) });
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  const h = await env.start('backup', { stack, trigger: 'cli', requestedBy: 'test', reason: 'good', knownGood: true });
  return { stack, good: ((await h.result()) as { release: ReleaseSummary }).release };
}

test('find a waiting procedure by search attributes, read its summary and step, approve, see it complete', async () => {
  await goodRelease('uistack', [19991, 19992]);
  const configFile = path.join(env.dataDir, 'lifeline.yaml');
  writeFileSync(
    configFile,
    stringify({
      dataDir: env.dataDir,
      stacks: {
        uistack: {
          host: env.host,
          services: {
            godot: { healthUrl: 'http://127.0.0.1:19991/health' },
            api: { healthUrl: 'http://127.0.0.1:19992/health' },
          },
          timeouts: FAST_TIMEOUTS,
        },
      },
    }),
  );
  const cliEnv = {
    LIFELINE_CONFIG: configFile,
    TEMPORAL_ADDRESS: harnessState().address,
    LIFELINE_TASK_QUEUE: env.taskQueue,
  };
  const started = await lifeline(
    ['--json', 'emergency', 'security-breach', 'uistack', '--reason', 'leaked deploy key', '--no-wait'],
    cliEnv,
  );
  const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
  await waitForPending(env.client.workflow.getHandle(workflowId), 'approval', 'security team');

  const ui = `http://127.0.0.1:${harnessState().uiPort}`;
  // Payloads are encrypted: the UI decodes them through Lifeline's codec endpoint, as an operator sets it up.
  const api = await startApi(env, { uistack: { host: env.host, services: { godot: {} } } }, { uiOrigins: [ui] });
  cleanups.push(() => api.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${api.url}/codec/login`);
  await page.fill('input[name=token]', API_TOKEN);
  await Promise.all([page.waitForNavigation(), page.click('button')]);
  expect(await page.locator('body').innerText()).toContain('Logged in');
  await page.goto(ui);
  // The UI's own codec settings (Data Encoder), kept in the browser's local storage.
  await page.evaluate(
    `localStorage.setItem('endpoint', ${JSON.stringify(JSON.stringify(`${api.url}/codec`))});` +
      `localStorage.setItem('includeCredentials', 'true'); localStorage.setItem('overrideRemoteCodecConfiguration', 'true');`,
  );
  const query = 'LifelineStack="uistack" AND LifelineWaitingFor="security team" AND ExecutionStatus="Running"';
  const link = page.locator(`a:has-text("${workflowId}")`).first();
  await waitFor(
    async () => {
      await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      return await link.waitFor({ timeout: 5000 }).then(
        () => true,
        () => undefined,
      );
    },
    'the procedure in the search results',
    60_000,
  );
  await page.screenshot({ path: path.join(ARTIFACTS, '1-search.png') });
  await link.click();
  await seeMetadata(page, 'security-breach of uistack (cli, by');
  await seeMetadata(page, 'Reason: leaked deploy key');
  await seeMetadata(page, 'Waiting for security team: Approve deploying clean release');
  await seeMetadata(page, '[x] Backup of current state created');
  await seeMetadata(page, 'collect evidence: collectEvidence'); // activity summaries read like the runbook
  await page.screenshot({ path: path.join(ARTIFACTS, '2-waiting.png') });

  // This UI version has no form for typed updates: the approval goes through the CLI.
  const approved = await lifeline(['approve', workflowId, '--as', 'security-lead', '--reason', 'keys rotated'], cliEnv);
  expect(approved.code).toBe(0);
  await env.client.workflow.getHandle(workflowId).result();
  await seeMetadata(page, 'security-breach on uistack: completed');
  await page.getByText('Completed', { exact: true }).first().waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, '3-completed.png') });
  await page.close();
});

test('a failed rollback is retried by resetting it after the fixture is fixed; the reset run completes', async () => {
  // A tag of its own, so breaking and fixing it touches no other test.
  const tagAs = (source: string) =>
    env.docker
      .getImage(`lifeline-fixture/spacetime:${source}`)
      .tag({ repo: 'lifeline-fixture/spacetime', tag: 'reset-good' });
  await tagAs('v2.4.9');
  const stack = env.stack('resetstack', {
    ports: [19995],
    services: ['godot'],
    config: { timeouts: { ...FAST_TIMEOUTS, healthWaitSeconds: 4 } },
  });
  await upFixtureStack(env.docker, stack, 'reset-good');
  await waitFixtureHealthy(env.docker, stack);
  const b = await env.start('backup', { stack, trigger: 'cli', requestedBy: 'test', reason: 'good', knownGood: true });
  const good = ((await b.result()) as { release: ReleaseSummary }).release;
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  await tagAs('v2.5.0'); // the fixture is broken: the good tag now holds a failing build

  const h = await env.start('specific-version-rollback', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'bad deploy',
    releaseId: good.id,
  });
  const failure = await h.result().then(
    () => undefined,
    (e) => e,
  );
  expect(failure?.cause?.message).toMatch(/not healthy after 4s/);
  expect(failure?.cause?.message).toMatch(/emergency procedure emergency:rollback-failed:resetstack:\S+ takes over/);
  const emergencyId = await waitFor(
    async () => (await env.client.workflow.getHandle('stack:resetstack').query(ownerStateQuery)).running?.workflowId,
    'rollback-failed to take over',
  );
  // The owner holds the stack for it at once, and starts it once the worker has read the stack's config.
  await (await followUp(env.client, emergencyId)).terminate('operator takes over by resetting the rollback');
  await tagAs('v2.4.9'); // fixed

  const history = await h.fetchHistory();
  const firstTask = (history.events ?? []).find((e) => e.workflowTaskCompletedEventAttributes)!;
  const { runId: failedRunId } = await h.describe();
  const { runId } = await env.client.workflowService.resetWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId: h.workflowId, runId: failedRunId },
    workflowTaskFinishEventId: firstTask.eventId,
    reason: 'fixture fixed; retry',
    requestId: randomUUID(),
  });
  const reset = env.client.workflow.getHandle(h.workflowId, runId!);
  // The failed attempt marked the release known-bad: named again, it waits for the person to confirm it.
  const asked = await waitForPending(reset, 'confirm-step', 'test');
  expect(asked.pending?.prompt).toContain(`release ${good.id} is known-bad`);
  const confirmed = await lifeline(['confirm', h.workflowId, '--as', 'test', '--reason', 'the tag is fixed'], {
    LIFELINE_CONFIG: env.configFile,
    TEMPORAL_ADDRESS: harnessState().address,
    LIFELINE_TASK_QUEUE: env.taskQueue,
  });
  expect(confirmed.code).toBe(0);
  expect(await reset.result()).toMatchObject({ status: 'completed', toRelease: good.id });
  const info = await env.docker.getContainer(fixtureContainer(stack, stack.services[0])).inspect();
  expect(info.Config.Env).toContain('FIXTURE_VERSION=v2.4.9');
  await removeFixtureStack(env.docker, stack);
  await env.docker.getImage('lifeline-fixture/spacetime:reset-good').remove();
});

test('an activity that keeps failing shows its attempts and last failure while pending', async () => {
  const recorder = await startRecorder();
  recorder.reply('POST /down', 502, { error: 'bad gateway' });
  const stack = env.stack('pending', {
    ports: [19997],
    services: ['godot'],
    notifications: [{ kind: 'slack', url: `${recorder.url}/down` }],
  });
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  const quick = await env.start('quick-rollback', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'notify is down',
  });
  const pending = await waitFor(
    async () => {
      const d = await quick.describe();
      const a = d.raw.pendingActivities?.find((x) => (x.attempt ?? 0) >= 2);
      return a ?? undefined;
    },
    'a retried pending activity',
    30_000,
  );
  expect(pending.activityType?.name).toBe('notify');
  expect(await failureMessage(pending.lastFailure)).toMatch(/notification failed: 127\.0\.0\.1:\d+ answered 502/);
  await quick.terminate('test done');
  await recorder.close();
});
