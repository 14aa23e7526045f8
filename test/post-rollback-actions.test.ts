/** After a verified rollback: smoke tests, monitoring, stakeholder notice, incident report (Markdown and GitHub). */
import { readFileSync } from 'node:fs';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import type { ReleaseSummary } from '../src/domain/release';
import type { RollbackResult } from '../src/workflows/steps/finish-rollback';
import type { PostRollbackResult } from '../src/workflows/post-rollback-actions';
import { createTestEnv, TestEnv } from './harness/env';
import { Recorder, startRecorder } from './harness/recorder';
import { recordGoodRelease } from './harness/releases';

let env: TestEnv;
let recorder: Recorder;
beforeAll(async () => {
  env = await createTestEnv('post');
  recorder = await startRecorder();
  process.env.GITHUB_TOKEN = 'ghp-test-token';
});
afterAll(async () => {
  delete process.env.GITHUB_TOKEN;
  await recorder?.close();
  await env?.teardown();
});

test('a rollback leaves an incident report, a GitHub issue and stakeholder notices', async () => {
  const stack = env.stack('post', {
    ports: [16161, 16162],
    services: ['godot', 'api'],
    notifications: [
      { kind: 'slack', url: `${recorder.url}/slack` },
      { kind: 'webhook', url: `${recorder.url}/hook` },
    ],
    github: { apiUrl: `${recorder.url}/github`, repo: 'spacetime/ops' },
    config: {
      timeouts: {
        stopGraceSeconds: 1,
        healthWaitSeconds: 10,
        monitorSeconds: 2,
        monitorIntervalSeconds: 1,
        postRollbackMonitorSeconds: 2,
      },
    },
  });
  recorder.reply('GET /github/repos/spacetime/ops/issues', 200, []);
  recorder.reply('POST /github/repos/spacetime/ops/issues', 201, {
    html_url: 'https://github.example/spacetime/ops/issues/7',
  });
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  const b = await env.start('backup', { stack, trigger: 'cli', requestedBy: 'test', reason: 'good', knownGood: true });
  const good = ((await b.result()) as { release: ReleaseSummary }).release;
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  await new Promise((r) => setTimeout(r, 1500)); // let v2.5.0 log its health failures

  const h = await env.start('quick-rollback', {
    stack,
    trigger: 'alert',
    requestedBy: 'alertmanager',
    reason: 'HighErrorRate',
  });
  const r = (await h.result()) as RollbackResult;
  expect(r.verification.monitorSamples).toBe(2);
  const post = (await env.client.workflow.getHandle(r.postActionsWorkflowId).result()) as PostRollbackResult;
  expect(post.smokePassed).toBe(true);
  expect(post.monitorFailures).toEqual([]);
  expect(post.githubIssue).toBe('https://github.example/spacetime/ops/issues/7');

  const report = readFileSync(post.reportPath, 'utf8');
  expect(report).toContain('# Production Rollback: HighErrorRate');
  expect(report).toContain(`- Release moved to: ${good.id}`);
  expect(report).toContain(`- Release moved from: ${r.fromRelease}`);
  expect(report).toMatch(/## Timeline\n- \S+ incident logged: HighErrorRate\n/);
  expect(report).toContain('[x] All containers healthy');
  expect(report).toMatch(/## Error lines since the deploy\n {4}\[godot\] ERROR health check failing \(mode=failing\)/);
  expect(report).toContain('[x] Incident report created');
  // Ticked on evidence: both targets accepted the first notice and the status update.
  expect(report).toContain('[x] Stakeholders notified (2 target(s) accepted)');
  expect(report).toContain('[x] Stakeholders updated (2 target(s) accepted)');

  const issue = recorder.requests.find((q) => q.method === 'POST' && q.url === '/github/repos/spacetime/ops/issues')!;
  expect(issue.headers.authorization).toBe('Bearer ghp-test-token');
  expect(issue.body).toMatchObject({ title: 'Production Rollback: HighErrorRate', labels: ['incident'] });
  expect((issue.body as { body: string }).body).toContain(`lifeline-workflow: ${h.workflowId}`);

  const slack = recorder.requests.filter((q) => q.url === '/slack').map((q) => (q.body as { text: string }).text);
  expect(slack.some((t) => t.includes('quick-rollback started for post: HighErrorRate'))).toBe(true);
  expect(slack.some((t) => t.includes(`quick-rollback completed for post: rolled back to ${good.id}`))).toBe(true);
  expect(slack.some((t) => t.includes('status update: rolled back and verified'))).toBe(true);
  const hook = recorder.requests
    .filter((q) => q.url === '/hook')
    .map((q) => q.body as { kind: string; workflowId: string });
  expect(hook.map((x) => x.kind)).toEqual(expect.arrayContaining(['started', 'completed']));
  expect(hook[0].workflowId).toBe(h.workflowId);
});

test('the incident issue is not opened twice for the same rollback', async () => {
  const before = recorder.requests.filter((q) => q.method === 'POST' && q.url.startsWith('/github')).length;
  const workflowId = recorder.requests.find((q) => q.method === 'POST' && q.url.startsWith('/github'))!;
  const marker = /lifeline-workflow: (\S+)/.exec((workflowId.body as { body: string }).body)![1];
  recorder.reply('GET /github/repos/spacetime/ops/issues', 200, [
    { body: `... lifeline-workflow: ${marker} ...`, html_url: 'https://github.example/spacetime/ops/issues/7' },
  ]);
  const { createNotifyActivities } = await import('../src/activities/notify');
  const axios = (await import('axios')).default;
  const notify = createNotifyActivities({ http: axios.create(), githubToken: () => 'ghp-test-token' });
  const url = await notify.createGithubIssue(env.stackConfig('post')!, {
    workflowId: marker,
    stack: 'post',
    procedure: 'quick-rollback',
    reason: 'HighErrorRate',
    outcome: 'ok',
    timeline: [],
    checklist: [],
    errorLines: [],
  });
  expect(url).toBe('https://github.example/spacetime/ops/issues/7');
  expect(recorder.requests.filter((q) => q.method === 'POST' && q.url.startsWith('/github')).length).toBe(before);
});

test('with no target, or none that accepts, the stakeholder items are skipped with the reason, never ticked', async () => {
  recorder.reply('POST /refuses', 404, { error: 'no such hook' });
  for (const [name, ports, notifications, why] of [
    ['quiet', [19603, 19604], [], 'no notification target configured'],
    [
      'refused',
      [19605, 19606],
      [{ kind: 'webhook' as const, url: `${recorder.url}/refuses` }],
      'no target accepted the message',
    ],
  ] as const) {
    const stack = env.stack(name, {
      ports: [...ports],
      services: ['godot', 'api'],
      notifications: [...notifications],
      config: {
        timeouts: { stopGraceSeconds: 1, healthWaitSeconds: 10, monitorSeconds: 0, postRollbackMonitorSeconds: 0 },
      },
    });
    await recordGoodRelease(env, stack);
    await upFixtureStack(env.docker, stack, 'v2.5.0');
    const r = (await (
      await env.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'bad deploy' })
    ).result()) as RollbackResult;
    const post = (await env.client.workflow.getHandle(r.postActionsWorkflowId).result()) as PostRollbackResult;
    const report = readFileSync(post.reportPath, 'utf8');
    expect(report).toContain(`[-] Stakeholders notified (${why})`);
    expect(report).toContain(`[-] Stakeholders updated (${why})`);
    await removeFixtureStack(env.docker, stack);
  }
  expect(recorder.requests.filter((q) => q.url === '/refuses').length).toBeGreaterThanOrEqual(2);
});
