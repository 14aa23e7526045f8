/** A service that flaps between healthy and unhealthy is not declared healthy until stable for the window. */
import axios from 'axios';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHostActivities } from '../src/activities';
import { createDockerActivities } from '../src/activities/docker';
import type { HealthReport } from '../src/activities/health';
import { upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import { createTestEnv, TestEnv } from './harness/env';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('flapping', { roles: [] });
});
afterAll(async () => {
  await env?.teardown();
});

test('health is declared only after the flapping stops and the stable window has passed', async () => {
  const stack = env.stack('flap', { ports: [19961], services: ['godot'] });
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  const acts = createHostActivities({ docker: env.docker, host: env.host, http: axios.create() });
  const container = fixtureContainer(stack, stack.services[0]);
  const exec = (cmd: string) => createDockerActivities(env.docker).execInContainer(container, ['/bin/sh', '-c', cmd]);

  // Flap every 400 ms for about 4 s, then stay healthy.
  let flapping = true;
  let flaps = 0;
  const flapper = (async () => {
    for (let down = true; flaps < 10; down = !down, flaps++) {
      await exec(down ? 'touch /tmp/force-unhealthy' : 'rm -f /tmp/force-unhealthy');
      await new Promise((r) => setTimeout(r, 400));
    }
    await exec('rm -f /tmp/force-unhealthy');
    flapping = false;
  })();

  const report = (await new MockActivityEnvironment().run(acts.waitForStackHealthy, stack, {
    timeoutSeconds: 60,
    stableSeconds: 3,
    pollMs: 100,
  })) as HealthReport;
  const flapsWhenDeclared = flaps;
  await flapper;
  expect(report.healthy).toBe(1);
  expect(flapping).toBe(false); // declared healthy only once the flapping was over
  expect(flapsWhenDeclared).toBe(10);
});
