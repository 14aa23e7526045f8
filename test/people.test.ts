/**
 * People in the loop, end to end in a real browser: a breach's approval reaches the security team on Slack and
 * PagerDuty (stand-ins that record what they get) with each person's one-time link; the link opens Lifeline's
 * decision page; two security members must approve (config), and each approval is recorded as the person the
 * link was sent to. A used link, an on-call person's link and a straight-to-Temporal answer decide nothing.
 * A medium alert's question reaches on-call with a link and, unanswered, climbs to senior ops.
 */
import axios from 'axios';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, Browser, Page } from 'playwright-core';
import { newNonce, sealPass } from '../src/codec/decision-passes';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import { removeFixtureStack, upFixtureStack, fixtureContainer } from '../src/fixtures/stack';
import { approveUpdate, ownerStateQuery, progressQuery } from '../src/workflows/definitions';
import { API_TOKEN, RunningApi, startApi } from './harness/api';
import { createTestEnv, FAST_TIMEOUTS, harnessState, TEST_DECISION_KEY, TestEnv } from './harness/env';
import { liftIfHeld } from './harness/owner';
import { lifeline } from './harness/cli';
import { Recorder, startRecorder } from './harness/recorder';
import { recordGoodRelease } from './harness/releases';
import { waitFor, waitForPending } from './harness/waits';

const CHROMIUM = process.env.LIFELINE_CHROMIUM ?? '/usr/bin/chromium';
const PD_KEY_ENV = 'LIFELINE_TEST_PAGERDUTY_KEY';
const BREACH = 'peoplebreach';
const MEDIUM = 'peoplemedium';
const PERSONAL_STACK = 'peoplepersonal';
const TWO_LEVELS = [
  { name: 'on-call engineer', ackTimeoutSeconds: 300 },
  { name: 'senior ops', ackTimeoutSeconds: 600 },
];
let env: TestEnv;
let stand: Recorder;
let api: RunningApi;
let browser: Browser;
const PERSONAL = {
  bob: 'bob-personal-token-0123456789abcdefghij',
  ivy: 'ivy-personal-token-0123456789abcdefghij',
  cat: 'cat-personal-token-0123456789abcdefghij',
};
const LIFT_STACK = 'peoplelift';

const people = () => [
  {
    name: 'ann',
    roles: ['security team'],
    channels: [
      { kind: 'slack' as const, url: `${stand.url}/slack/ann` },
      { kind: 'pagerduty' as const, routingKeyEnv: PD_KEY_ENV, url: `${stand.url}/pagerduty` },
    ],
  },
  { name: 'cat', roles: ['security team'], channels: [{ kind: 'slack' as const, url: `${stand.url}/slack/cat` }] },
  { name: 'bob', roles: ['on-call engineer'], channels: [{ kind: 'slack' as const, url: `${stand.url}/slack/bob` }] },
  { name: 'sue', roles: ['senior ops'], channels: [{ kind: 'webhook' as const, url: `${stand.url}/hook/sue` }] },
  {
    name: 'ivy',
    roles: ['infrastructure team', 'CTO / VP Engineering'],
    channels: [{ kind: 'webhook' as const, url: `${stand.url}/hook/ivy` }],
  },
];

beforeAll(async () => {
  // The routing key is a secret: the worker reads it from its environment, never from the config.
  process.env[PD_KEY_ENV] = 'pd-routing-key-0123456789';
  env = await createTestEnv('people');
  stand = await startRecorder();
  const stacks = Object.fromEntries(
    [BREACH, MEDIUM, PERSONAL_STACK, LIFT_STACK].map((name) => [
      name,
      { host: env.host, services: { godot: {}, api: {} } },
    ]),
  );
  // Personal tokens: each names its person, who decides with it.
  const tokensFile = path.join(env.dataDir, 'api-tokens.json');
  writeFileSync(
    tokensFile,
    JSON.stringify({
      tokens: Object.entries(PERSONAL).map(([person, token]) => ({
        name: `${person}-phone`,
        token,
        scopes: ['decide'],
        person,
      })),
    }),
  );
  api = await startApi(env, stacks, { people: people(), alerts: { approvalTimeoutSeconds: 2 }, tokensFile });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await stand?.close();
  await env?.teardown();
  delete process.env[PD_KEY_ENV];
});

const slackText = (who: string) =>
  stand.requests.filter((r) => r.url === `/slack/${who}`).map((r) => (r.body as { text: string }).text);
/** The personal link in the last message `who` got on Slack. */
const linkIn = (text: string) => /Decide \(your personal one-time link\): (\S+)/.exec(text)?.[1];
const pages = () =>
  stand.requests
    .filter((r) => r.url === '/pagerduty')
    .map((r) => r.body as { event_action: string; dedup_key: string; links?: { href: string }[] });

/** A medium alert that has lasted over the runbook's 15 minutes: "consider rollback" is a person's question. */
const mediumAlert = (stack: string, alertname: string, fingerprint: string) =>
  axios.post(
    `${api.url}/v1/alerts/alertmanager`,
    {
      version: '4',
      status: 'firing',
      receiver: 'lifeline',
      groupKey: 'g',
      alerts: [
        {
          status: 'firing',
          labels: { alertname, stack, severity: 'medium' },
          startsAt: new Date(Date.now() - 20 * 60_000).toISOString(),
          fingerprint,
        },
      ],
    },
    { headers: { authorization: `Bearer ${API_TOKEN}` } },
  );

/** Opens `link`, and answers with `button` and a reason when given; returns the page's text and HTTP status. */
async function decide(
  link: string,
  answer?: { button: string; reason: string },
): Promise<{ status: number; text: string; page: Page }> {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } }); // a phone
  const opened = await page.goto(link);
  if (!answer) return { status: opened!.status(), text: await page.innerText('body'), page };
  await page.fill('textarea[name=reason]', answer.reason);
  const [response] = await Promise.all([page.waitForNavigation(), page.click(`button[value=${answer.button}]`)]);
  return { status: response!.status(), text: await page.innerText('body'), page };
}

test('a breach reaches the security team with personal links; two of them approve on the decision page; nothing else decides', async () => {
  const stack = env.stack(BREACH, {
    ports: [18971, 18972],
    config: { timeouts: FAST_TIMEOUTS },
    people: people(),
    publicUrl: api.url,
    decisions: { twoPeople: ['breach approval'] },
  });
  try {
    const good = await recordGoodRelease(env, stack);
    await upFixtureStack(env.docker, stack, 'v2.5.0');
    const h = await env.start('security-breach', {
      stack,
      trigger: 'cli',
      requestedBy: 'test',
      reason: 'unknown SSH key',
    });
    const { pending: question } = await waitForPending(h, 'approval', 'security team');
    const annText = await waitFor(async () => slackText('ann')[0], 'the security team on Slack');
    const catText = await waitFor(async () => slackText('cat')[0], 'the second security member on Slack');
    expect(annText).toContain('asks the security team (ann)');
    expect(annText).toContain(`Options: ${good.id}`);
    expect(annText).toMatch(/So far:\n- /); // the evidence: what the procedure did before asking
    const annLink = linkIn(annText)!;
    const catLink = linkIn(catText)!;
    expect(annLink.startsWith(`${api.url}/decide/`)).toBe(true);
    expect(catLink).not.toBe(annLink);
    expect(pages()).toEqual([
      expect.objectContaining({
        event_action: 'trigger',
        dedup_key: h.workflowId,
        links: [{ href: expect.stringMatching(/\/decide\//), text: 'Decide' }],
      }),
    ]);
    expect(slackText('bob')).toEqual([]); // on-call hears nothing of the security team's question

    // Straight to Temporal, naming a security member: refused, nothing recorded.
    await expect(h.executeUpdate(approveUpdate, { args: [{ by: 'ann', reason: 'cli' }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/must answer this with an authenticated decision/) },
    });

    // The page: the question, the release with its images and whether it is known good, the containers now.
    const shown = await decide(annLink);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain(question!.prompt);
    expect(shown.text).toContain(good.id);
    expect(shown.text).toMatch(/known good/);
    expect(shown.text).toMatch(/images: godot v2\.4\.9, api v2\.4\.9/);
    expect(shown.text).toContain(fixtureContainer(stack, stack.services[0]));
    expect(shown.text).toMatch(/Needs 2 different people to approve/);
    await shown.page.close();

    // An on-call person's link (forwarded, or made up with the key) shows why and decides nothing.
    const bobLink = `${api.url}/decide/${sealPass(TEST_DECISION_KEY, 'link', {
      workflowId: h.workflowId,
      questionId: question!.id,
      person: 'bob',
      nonce: newNonce(),
      expiresAt: Date.now() + 600_000,
      via: 'link',
    })}`;
    const bob = await decide(bobLink);
    expect(bob.status).toBe(403);
    expect(bob.text).toContain('bob does not hold the role "security team"');
    expect(await bob.page.$('button')).toBeNull();
    await bob.page.close();
    const bobPost = await axios.post(`${bobLink}`, 'action=approve&reason=me', { validateStatus: () => true });
    expect(bobPost.status).toBe(403);

    // One approval is not enough.
    const annApproves = await decide(annLink, { button: 'approve', reason: 'image digests match the last audit' });
    expect(annApproves.status).toBe(200);
    expect(annApproves.text).toMatch(/Recorded: approval by ann at \S+ via link, release /);
    expect(annApproves.text).toMatch(/another person must approve too/);
    await annApproves.page.close();
    expect((await h.query(progressQuery)).pending).toMatchObject({ id: question!.id, approvedBy: ['ann'] });
    // The same link again: refused.
    const again = await decide(annLink);
    expect(again.status).toBe(403);
    expect(again.text).toContain('ann has approved already');
    await again.page.close();
    const againPost = await axios.post(annLink, 'action=approve&reason=twice', { validateStatus: () => true });
    expect(againPost.status).toBe(403);

    const catApproves = await decide(catLink, { button: 'approve', reason: 'agreed' });
    expect(catApproves.text).toMatch(/Recorded: approval by cat at \S+ via link/);
    await catApproves.page.close();
    const result = (await h.result()) as { status: string; postActionsWorkflowId: string };
    expect(result).toMatchObject({ status: 'completed' });
    expect((await env.docker.getContainer(fixtureContainer(stack, stack.services[0])).inspect()).Config.Image).toBe(
      'lifeline-fixture/spacetime:v2.4.9',
    );
    const { decisions } = await h.query(progressQuery);
    expect(decisions.map((d) => [d.by, d.approved, d.channel, d.authenticated])).toEqual([
      ['ann', true, 'link', true],
      ['cat', true, 'link', true],
    ]);
    // The page was acknowledged at the answer and resolved at the end.
    await waitFor(async () => (pages().length >= 3 ? true : undefined), 'the page to be resolved');
    expect(pages().map((p) => [p.event_action, p.dedup_key])).toEqual([
      ['trigger', h.workflowId],
      ['acknowledge', h.workflowId],
      ['resolve', h.workflowId],
    ]);
    // The incident report names who decided, how and when.
    const { reportPath } = (await env.client.workflow.getHandle(result.postActionsWorkflowId).result()) as {
      reportPath: string;
    };
    const report = readFileSync(reportPath, 'utf8');
    expect(report).toMatch(/- \S+ approval \(approved\) by ann via link for release \S+: image digests match/);
    expect(report).toMatch(/- \S+ approval \(approved\) by cat via link/);
    // After the end, any link of the question is closed.
    const closed = await decide(catLink);
    expect(closed.status).toBe(410);
    expect(closed.text).toContain('This question is no longer open');
    await closed.page.close();
  } finally {
    await liftIfHeld(env.client, BREACH, 'ann');
    await removeFixtureStack(env.docker, stack);
  }
});

test('a medium alert asks on-call with a link and, unanswered, climbs to senior ops instead of being dropped', async () => {
  // Two levels: senior ops is the last, asked until it answers, so its link lasts while the browser opens it.
  env.stack(MEDIUM, { ports: [18973, 18974], people: people(), publicUrl: api.url, escalation: TWO_LEVELS });
  const sent = await mediumAlert(MEDIUM, 'MemoryLeak', 'medium-1');
  expect(sent.status).toBe(202);
  const bobText = await waitFor(async () => slackText('bob').find((t) => t.includes('MemoryLeak')), 'on-call on Slack');
  expect(linkIn(bobText)).toMatch(/\/decide\//);
  // Nobody answers in the approval time: senior ops is asked, with a link of their own.
  const sue = await waitFor(
    async () =>
      stand.requests.find((r) => r.url === '/hook/sue')?.body as { link?: string; audience: string } | undefined,
    'senior ops to be asked',
  );
  expect(sue.audience).toBe('senior ops');
  const owner = env.client.workflow.getHandle(ownerWorkflowId(MEDIUM));
  const progress = await owner.query(progressQuery);
  expect(progress.timeline.map((t) => t.step)).toEqual(
    expect.arrayContaining(['asked on-call engineer', 'decision timed out', 'asked senior ops']),
  );
  // Sue's link opens the question now asked, and her denial closes it.
  const denied = await decide(sue.link!, { button: 'deny', reason: 'known leak, fixed tonight' });
  expect(denied.text).toMatch(/Recorded: approval \(denied\) by sue at \S+ via link/);
  await denied.page.close();
  // Bob's link expired with the question it was for.
  const stale = await decide(linkIn(bobText)!);
  expect(stale.status).toBe(410);
  expect(stale.text).toMatch(/this link expired at/);
  await stale.page.close();
});

test('a personal token decides through the API, as its person, from the CLI; the admin token and another role cannot', async () => {
  env.stack(PERSONAL_STACK, { ports: [18975, 18976], people: people(), publicUrl: api.url, escalation: TWO_LEVELS });
  const owner = env.client.workflow.getHandle(ownerWorkflowId(PERSONAL_STACK));
  await mediumAlert(PERSONAL_STACK, 'PerformanceDegradation', 'personal-1');
  const { pending } = await waitForPending(owner, 'approval', 'on-call engineer');
  const decisions = `${api.url}/v1/workflows/${ownerWorkflowId(PERSONAL_STACK)}/decisions`;
  const post = (token: string, body: object) =>
    axios.post(decisions, body, { headers: { authorization: `Bearer ${token}` }, validateStatus: () => true });
  const admin = await post(API_TOKEN, { action: 'deny', reason: 'x' });
  expect(admin.status).toBe(403);
  expect(admin.data.error).toBe(`token admin lacks scope decide for POST /v1/workflows/:id/decisions`);
  const ivy = await post(PERSONAL.ivy, { action: 'deny', reason: 'x', questionId: pending!.id });
  expect(ivy.status).toBe(403);
  expect(ivy.data.error).toMatch(/^ivy does not hold the role "on-call engineer"/);
  const stale = await post(PERSONAL.bob, { action: 'deny', reason: 'x', questionId: '1.0000000000000000' });
  expect(stale.status).toBe(409);

  // Bob answers from the CLI with his personal token: recorded as bob, via the API, whatever --as says.
  const cli = await lifeline(
    ['deny', ownerWorkflowId(PERSONAL_STACK), '--as', 'mallory', '--reason', 'expected under load'],
    {
      LIFELINE_CONFIG: env.configFile,
      LIFELINE_API_URL: api.url,
      LIFELINE_PERSONAL_TOKEN: PERSONAL.bob,
    },
  );
  expect(cli.stderr).toBe('');
  expect(cli.stdout).toMatch(/^recorded: approval \(denied\) by bob at \S+ via api — expected under load/);
  const recorded = (await owner.query(progressQuery)).decisions.at(-1);
  expect(recorded).toMatchObject({ by: 'bob', approved: false, channel: 'api', authenticated: true });
});

test('a held stack is lifted only by a security member through the API, recorded as theirs; straight to Temporal and another role are refused', async () => {
  const stack = env.stack(LIFT_STACK, {
    ports: [18977, 18978],
    config: { timeouts: FAST_TIMEOUTS },
    people: people(),
    publicUrl: api.url,
  });
  const owner = env.client.workflow.getHandle(ownerWorkflowId(LIFT_STACK));
  const cliEnv = { LIFELINE_CONFIG: env.configFile, TEMPORAL_ADDRESS: harnessState().address };
  try {
    await recordGoodRelease(env, stack);
    const h = await env.start('security-breach', { stack, trigger: 'cli', requestedBy: 'test', reason: 'odd logins' });
    await waitForPending(h, 'approval', 'security team');
    // Cat denies through the API with her personal token: the stack stays isolated and held.
    const denied = await axios.post(
      `${api.url}/v1/workflows/${h.workflowId}/decisions`,
      { action: 'deny', reason: 'forensics first' },
      { headers: { authorization: `Bearer ${PERSONAL.cat}` } },
    );
    expect(denied.status).toBe(200);
    expect(await h.result()).toMatchObject({ status: 'isolated' });
    await waitFor(async () => ((await owner.query(ownerStateQuery)).hold ? true : undefined), 'the hold');

    // Straight to Temporal, naming a security member: refused, still held.
    const straight = await lifeline(
      ['lift', LIFT_STACK, '--audience', 'security team', '--reason', 'trust me', '--as', 'ann'],
      cliEnv,
    );
    expect(straight.code).toBe(2);
    expect(straight.stderr).toMatch(/must decide this with an authenticated decision/);
    // Bob's personal token is not of the security team: 403, still held.
    const lift = `${api.url}/v1/stacks/${LIFT_STACK}/lift`;
    const bob = await axios.post(
      lift,
      { reason: 'looks fine' },
      { headers: { authorization: `Bearer ${PERSONAL.bob}` }, validateStatus: () => true },
    );
    expect(bob.status).toBe(403);
    expect(bob.data.error).toMatch(/^bob is not of the security team/);
    expect((await owner.query(ownerStateQuery)).state).toBe('held');

    // Cat lifts from the CLI with her personal token: recorded as cat, via the API, whatever --as says.
    const cli = await lifeline(
      ['lift', LIFT_STACK, '--audience', 'security team', '--reason', 'keys rotated', '--as', 'mallory'],
      { ...cliEnv, LIFELINE_API_URL: api.url, LIFELINE_PERSONAL_TOKEN: PERSONAL.cat },
    );
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toMatch(/lifted by cat for the security team at \S+ via api: keys rotated/);
    expect(await owner.query(ownerStateQuery)).toMatchObject({
      state: 'free',
      lifted: [{ by: 'cat', channel: 'api', authenticated: true, reason: 'keys rotated' }],
    });
  } finally {
    await liftIfHeld(env.client, LIFT_STACK, 'ann');
    await removeFixtureStack(env.docker, stack);
  }
});
