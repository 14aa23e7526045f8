/**
 * Questions reach their people: a breach's approval goes to everyone with the security role, on Slack and
 * PagerDuty (stand-ins that record what they get), and to no one else; the page is triggered under the
 * procedure's dedup key, acknowledged when a person approves, and resolved when the procedure ends.
 */
import { approveUpdate, progressQuery } from '../src/workflows/definitions';
import { removeFixtureStack, upFixtureStack } from '../src/fixtures/stack';
import { createTestEnv, FAST_TIMEOUTS, TestEnv } from './harness/env';
import { liftIfHeld } from './harness/owner';
import { Recorder, startRecorder } from './harness/recorder';
import { recordGoodRelease } from './harness/releases';
import { waitFor, waitForPending } from './harness/waits';

const PD_KEY_ENV = 'LIFELINE_TEST_PAGERDUTY_KEY';
let env: TestEnv;
let stand: Recorder;

beforeAll(async () => {
  // The routing key is a secret: the worker reads it from its environment, never from the config.
  process.env[PD_KEY_ENV] = 'pd-routing-key-0123456789';
  env = await createTestEnv('people');
  stand = await startRecorder();
});
afterAll(async () => {
  await stand?.close();
  await env?.teardown();
  delete process.env[PD_KEY_ENV];
});

test('a breach asks the security team on Slack and PagerDuty, not on-call; approval acknowledges, the end resolves', async () => {
  const stack = env.stack('peoplebreach', {
    ports: [18971, 18972],
    config: { timeouts: FAST_TIMEOUTS },
    people: [
      {
        name: 'ann',
        roles: ['security team'],
        channels: [
          { kind: 'slack', url: `${stand.url}/slack/ann` },
          { kind: 'pagerduty', routingKeyEnv: PD_KEY_ENV, url: `${stand.url}/pagerduty` },
        ],
      },
      {
        name: 'bob',
        roles: ['on-call engineer', 'senior ops'],
        channels: [{ kind: 'slack', url: `${stand.url}/slack/bob` }],
      },
    ],
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
    await waitForPending(h, 'approval', 'security team');
    // Who was reached is in the procedure's own record (and so in its incident report).
    await waitFor(
      async () =>
        (await h.query(progressQuery)).timeline.some(
          (t) => t.step === 'asked security team' && t.detail === 'reached ann',
        )
          ? true
          : undefined,
      'the record of who was asked',
    );
    const slackAnn = await waitFor(
      async () => stand.requests.find((r) => r.url === '/slack/ann'),
      'the security team on Slack',
    );
    const text = (slackAnn.body as { text: string }).text;
    expect(text).toContain('asks the security team (ann)');
    expect(text).toContain(`Options: ${good.id}`);
    expect(text).toContain(`lifeline approve ${h.workflowId} --as NAME --reason WHY`);
    expect(text).toMatch(/So far:\n- /); // the evidence: what the procedure did before asking
    const pages = () =>
      stand.requests
        .filter((r) => r.url === '/pagerduty')
        .map(
          (r) =>
            r.body as { routing_key: string; event_action: string; dedup_key: string; payload?: { summary: string } },
        );
    expect(pages()).toEqual([
      expect.objectContaining({
        routing_key: 'pd-routing-key-0123456789',
        event_action: 'trigger',
        dedup_key: h.workflowId,
        payload: expect.objectContaining({ summary: expect.stringContaining('asks the security team (ann)') }),
      }),
    ]);

    await h.executeUpdate(approveUpdate, { args: [{ by: 'ann', reason: 'clean', releaseId: good.id }] });
    expect(await h.result()).toMatchObject({ status: 'completed' });
    await waitFor(async () => (pages().length >= 3 ? true : undefined), 'the page to be resolved');
    expect(pages().map((p) => [p.event_action, p.dedup_key])).toEqual([
      ['trigger', h.workflowId],
      ['acknowledge', h.workflowId],
      ['resolve', h.workflowId],
    ]);
    // On-call heard nothing of the security team's question.
    expect(stand.requests.filter((r) => r.url === '/slack/bob')).toEqual([]);
  } finally {
    await liftIfHeld(env.client, 'peoplebreach');
    await removeFixtureStack(env.docker, stack);
  }
});
