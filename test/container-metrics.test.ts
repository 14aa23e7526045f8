/** Lifeline's /metrics reports what Prometheus cannot see: stack containers' memory against their limit, restarts, running. */
import axios from 'axios';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import { startApi } from './harness/api';
import { createTestEnv, TestEnv } from './harness/env';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('cmetrics');
});
afterAll(async () => {
  await env?.teardown();
});

const sample = (text: string, metric: string, container: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(`container="${container}"`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

test('memory usage and limit per stack and service from the Docker stats API; a stopped container reports not running', async () => {
  const stack = env.stack('memstack', { ports: [16101, 16102], services: ['godot', 'api'] });
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  const [godot, api] = stack.services.map((s) => fixtureContainer(stack, s));
  await env.docker.getContainer(godot).update({ Memory: 64 * 2 ** 20, MemorySwap: -1 });
  const server = await startApi(env, { memstack: { host: env.host, services: { godot: {}, api: {} } } });
  try {
    const text = (await axios.get(`${server.url}/metrics`)).data as string;
    expect(text).toContain(
      `lifeline_container_memory_limit_bytes{stack="memstack",service="godot",container="${godot}"} ${64 * 2 ** 20}`,
    );
    expect(sample(text, 'lifeline_container_memory_limit_bytes', api)).toBe(0); // no limit
    const usage = sample(text, 'lifeline_container_memory_usage_bytes', godot)!;
    expect(usage).toBeGreaterThan(0);
    expect(usage).toBeLessThan(64 * 2 ** 20);
    expect(sample(text, 'lifeline_container_running', godot)).toBe(1);
    expect(sample(text, 'lifeline_container_restarts_total', godot)).toBe(0);

    await env.docker.getContainer(api).stop({ t: 1 });
    await new Promise((r) => setTimeout(r, 1100)); // past the reuse of the last engine sweep
    const after = (await axios.get(`${server.url}/metrics`)).data as string;
    expect(sample(after, 'lifeline_container_running', api)).toBe(0);
    expect(sample(after, 'lifeline_container_memory_usage_bytes', api)).toBeUndefined();
  } finally {
    await server.close();
    await removeFixtureStack(env.docker, stack);
  }
});
