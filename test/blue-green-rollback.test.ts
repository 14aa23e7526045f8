/** Method 6 with a real nginx: traffic goes back from green to blue through an upstream rewrite and reload. */
import axios from 'axios';
import { removeFixtureStack, upFixtureStack, upNginx, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import type { RollbackResult } from '../src/workflows/steps/finish-rollback';
import { createTestEnv, TestEnv } from './harness/env';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('bluegreen');
});
afterAll(async () => {
  await env?.teardown();
});

const statusVia = async (url: string) => (await axios.get(url, { timeout: 2000, validateStatus: () => true, maxRedirects: 2 })).data as { version?: string };

test('green is stopped, blue serves through nginx, and verification passes', async () => {
  const blue = env.stack('bgblue', { ports: [19301, 19302], services: ['godot', 'api'] });
  const green = env.stack('bggreen', { ports: [19311, 19312], services: ['godot', 'api'] });
  await upFixtureStack(env.docker, blue, 'v2.4.9');
  await upFixtureStack(env.docker, green, 'v2.5.3'); // green: the new version, serving errors
  await upNginx(env.docker, 'bg-nginx', '127.0.0.1:19300', ['127.0.0.1:19311', '127.0.0.1:19312']);
  await waitFixtureHealthy(env.docker, blue);
  await waitFixtureHealthy(env.docker, green);
  let before: { version?: string } = {};
  for (let i = 0; i < 50 && before.version === undefined; i++) {
    before = await statusVia('http://127.0.0.1:19300/status/').catch(() => ({}));
    if (before.version === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  expect(before.version).toBe('v2.5.3');

  const stack = env.stack('bg', {
    ports: [19300],
    services: ['nginx'],
    config: {
      services: { nginx: { container: 'bg-nginx', appImage: false } },
      statusUrl: 'http://127.0.0.1:19300/status/',
      smokeTests: [{ name: 'through nginx', url: 'http://127.0.0.1:19300/status/', jsonPath: 'version', jsonEquals: 'v2.4.9' }],
      blueGreen: {
        nginxContainer: 'bg-nginx',
        blue: { project: 'bgblue', servers: ['127.0.0.1:19301', '127.0.0.1:19302'] },
        green: { project: 'bggreen', servers: ['127.0.0.1:19311', '127.0.0.1:19312'] },
      },
    },
  });
  const nginxStartedAt = (await env.docker.getContainer('bg-nginx').inspect()).State.StartedAt;
  const handle = await env.start('blue-green-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'green serves 5xx' });
  const result = (await handle.result()) as RollbackResult;
  expect(result.status).toBe('completed');
  expect(result.verification.checks.find((c) => c.name === 'smoke: through nginx')?.passed).toBe(true);

  for (const s of green.services) expect((await env.docker.getContainer(fixtureContainer(green, s)).inspect()).State.Running).toBe(false);
  for (const s of blue.services) expect((await env.docker.getContainer(fixtureContainer(blue, s)).inspect()).State.Running).toBe(true);
  const nginx = await env.docker.getContainer('bg-nginx').inspect();
  expect(nginx.State.Running).toBe(true);
  expect(nginx.State.StartedAt).toBe(nginxStartedAt); // reloaded in place, not restarted
  expect((await statusVia('http://127.0.0.1:19300/status/')).version).toBe('v2.4.9');

  await env.docker.getContainer('bg-nginx').remove({ force: true });
  await removeFixtureStack(env.docker, blue);
  await removeFixtureStack(env.docker, green);
});
