/** The CLI as a person uses it: help, JSON output, exit codes, clear errors, and a real rollback. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { upFixtureStack, waitFixtureHealthy, fixtureContainer } from '../src/fixtures/stack';
import { lifeline, lifelineOnTty } from './harness/cli';
import { createTestEnv, FAST_TIMEOUTS, harnessState, TestEnv } from './harness/env';
import { recordGoodRelease } from './harness/releases';

let env: TestEnv;
let cliEnv: NodeJS.ProcessEnv;
const PORTS = [19201, 19202];

beforeAll(async () => {
  env = await createTestEnv('cli');
  const configFile = path.join(env.dataDir, 'lifeline.yaml');
  writeFileSync(
    configFile,
    stringify({
      dataDir: env.dataDir,
      stacks: {
        clistack: {
          host: env.host,
          services: {
            godot: { healthUrl: `http://127.0.0.1:${PORTS[0]}/health` },
            api: { healthUrl: `http://127.0.0.1:${PORTS[1]}/health` },
          },
          statusUrl: `http://127.0.0.1:${PORTS[0]}/status`,
          timeouts: FAST_TIMEOUTS,
        },
      },
    }),
  );
  cliEnv = {
    LIFELINE_CONFIG: configFile,
    TEMPORAL_ADDRESS: harnessState().address,
    LIFELINE_TASK_QUEUE: env.taskQueue,
  };
});
afterAll(async () => {
  await env?.teardown();
});

test('an unreachable Temporal exits 3 and says how to start it', async () => {
  const r = await lifeline(['rollback', 'clistack', '--quick'], { ...cliEnv, TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(r.code).toBe(3);
  expect(r.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
  expect(r.stderr).toContain('npm start');
});

test('backup, releases and a quick rollback from the CLI, in human and JSON form', async () => {
  // Short monitoring windows, so the countdowns show.
  const timeouts = { ...FAST_TIMEOUTS, monitorSeconds: 2, monitorIntervalSeconds: 1, postRollbackMonitorSeconds: 2 };
  const stack = env.stack('clistack', { ports: PORTS, services: ['godot', 'api'], config: { timeouts } });
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  const backup = await lifeline(['--json', 'backup', 'clistack', '--known-good'], cliEnv);
  expect(backup.code).toBe(0);
  const good = JSON.parse(backup.stdout).release.id as string;

  const list = await lifeline(['releases', 'clistack'], cliEnv);
  expect(list.code).toBe(0);
  expect(list.stdout).toMatch(new RegExp(`^\\s+1  ${good}  v2\\.4\\.9\\s+2 services  known-good`, 'm'));

  await upFixtureStack(env.docker, stack, 'v2.5.0');
  const human = await lifeline(['rollback', 'clistack', '--quick', '--reason', 'v2.5.0 unhealthy'], cliEnv);
  expect(human.code).toBe(0);
  expect(human.stdout).toContain(`[SUCCESS] Rollback complete! Now on ${good}.`);
  expect(human.stdout).toContain('PASSED: 2/2 services healthy');
  expect(human.stderr).toContain('stop current version');
  expect(human.stderr).toContain('wait for health');
  // The monitoring windows count down instead of looking frozen, then the incident report is named.
  expect(human.stderr).toMatch(/verification monitoring: \d+ s left of 2 s · \d sample\(s\) · 0 failure\(s\)/);
  expect(human.stderr).toMatch(/post-rollback monitoring: \d+ s left of 2 s · \d sample\(s\) · 0 failure\(s\)/);
  expect(human.stderr).toMatch(/incident report: \S+\.md/);

  // Rolled back to the good release, a second quick rollback has nothing newer-good to go to but older ones.
  const jsonList = await lifeline(['--json', 'releases', 'clistack'], cliEnv);
  const releases = JSON.parse(jsonList.stdout) as {
    id: string;
    knownBad: boolean;
    imageTags: Record<string, string>;
  }[];
  expect(releases.filter((r) => r.knownBad).map((r) => r.imageTags.godot)).toEqual(['v2.5.0']);

  const workflowId = /workflow (\S+)/.exec(human.stdout)![1];
  const status = await lifeline(['--json', 'status', workflowId], cliEnv);
  expect(status.code).toBe(0);
  const s = JSON.parse(status.stdout);
  expect(s.status).toBe('COMPLETED');
  expect(s.progress.checklist.find((e: { item: string }) => e.item === 'All containers healthy').state).toBe('done');

  // `procedures` lists it (visibility is eventually consistent: poll briefly).
  let history: { workflowId: string; procedure: string; status: string }[] = [];
  for (let i = 0; i < 40 && !history.some((h) => h.workflowId === workflowId && h.status === 'COMPLETED'); i++) {
    history = JSON.parse((await lifeline(['--json', 'procedures', 'clistack'], cliEnv)).stdout);
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(history.find((h) => h.workflowId === workflowId)).toMatchObject({
    procedure: 'quick-rollback',
    status: 'COMPLETED',
  });
  const humanHistory = await lifeline(['procedures', 'clistack'], cliEnv);
  expect(humanHistory.stdout).toMatch(new RegExp(`COMPLETED\\s+quick-rollback\\s+${workflowId}`));
});

test('a rollback with nothing to roll back to fails with exit 1 and says why', async () => {
  const stack = env.stack('clistack', { ports: PORTS, services: ['godot', 'api'] });
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  await waitFixtureHealthy(env.docker, stack);
  // Running state equals the only good release: no candidate. (--force: the test before completed a quick
  // rollback of this stack moments ago, and the owner refuses an unforced repeat.)
  const r = await lifeline(['rollback', 'clistack', '--quick', '--force'], {
    ...cliEnv,
    LIFELINE_DATA_DIR: path.join(env.dataDir, 'empty'),
  });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('no release of clistack to roll back to');
});

test('interactive rollback on a terminal: numbered list, a number, then yes', async () => {
  const stack = env.stack('clistack', { ports: PORTS, services: ['godot', 'api'] });
  await upFixtureStack(env.docker, stack, 'v2.4.8');
  await waitFixtureHealthy(env.docker, stack);
  const backup = await lifeline(['--json', 'backup', 'clistack', '--known-good'], cliEnv);
  const good = JSON.parse(backup.stdout).release.id as string;
  await upFixtureStack(env.docker, stack, 'v2.5.0');
  const r = await lifelineOnTty(['rollback', 'clistack', '--as', 'alice'], cliEnv, '1\nyes\n');
  expect(r.stdout).toContain('Available backups:');
  expect(r.stdout).toMatch(new RegExp(`\\s+1  ${good}  v2\\.4\\.8`));
  expect(r.stdout).toContain(`Rollback to ${good}? (yes/no)`);
  expect(r.stdout).toContain(`[SUCCESS] Rollback complete! Now on ${good}.`);
  expect(r.code).toBe(0);
  for (const s of stack.services)
    expect((await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).Config.Image).toBe(
      'lifeline-fixture/spacetime:v2.4.8',
    );
});

test('mark: releases are marked known-bad with a reason, and unknown ones are refused', async () => {
  const stack = env.stack('clistack', { ports: PORTS, services: ['godot', 'api'] });
  const release = await recordGoodRelease(env, stack);
  const r = await lifeline(['mark', 'clistack', release.id, '--bad', 'corrupts saves'], cliEnv);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`${release.id}: known-bad`);
  const again = JSON.parse((await lifeline(['--json', 'releases', 'clistack'], cliEnv)).stdout) as {
    id: string;
    knownBad: boolean;
  }[];
  expect(again.find((x) => x.id === release.id)?.knownBad).toBe(true);
  expect((await lifeline(['mark', 'clistack', release.id], cliEnv)).code).toBe(2);
  expect((await lifeline(['mark', 'clistack', '20000101-000000', '--good'], cliEnv)).stderr).toContain(
    'unknown release 20000101-000000',
  );
});
