/**
 * `lifeline plan` on the demo stack (set up by `lifeline demo up`), through the built CLI: it changes
 * nothing, names the target and why, shows each service's changes without a secret's value, and what
 * blocks it (a missing image, an unknown release, a busy stack, a hold, a rollback moments ago). Then the
 * quick rollback runs, and what it made matches the plan field by field.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { removeFixtureStack, upFixtureStack } from '../src/fixtures/stack';
import type { RollbackPlan } from '../src/domain/rollback-plan';
import { lifeline } from './harness/cli';
import { createTestEnv, FAST_TIMEOUTS, harnessState, TestEnv } from './harness/env';
import { containerSettings, planOf } from './harness/plan';
import { waitFor } from './harness/waits';

const NAME = 'planstack';
const PORTS = [16611, 16612, 16613, 16614];
const SERVICES = ['godot', 'api', 'telemetry', 'assets'];
const SECRET = 's3cret-value-never-shown';
let env: TestEnv;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  env = await createTestEnv('plan');
  const configFile = path.join(env.dataDir, 'plan.yaml');
  const services = Object.fromEntries(
    SERVICES.map((s, i) => [s, { healthUrl: `http://127.0.0.1:${PORTS[i]}/health` }]),
  );
  writeFileSync(
    configFile,
    stringify({
      dataDir: env.dataDir,
      stacks: {
        [NAME]: { host: env.host, services, statusUrl: `http://127.0.0.1:${PORTS[0]}/status`, timeouts: FAST_TIMEOUTS },
        // Never run on: no owner, only a hold recorded beside the releases.
        planheld: { host: env.host, services: { godot: { healthUrl: 'http://127.0.0.1:16619/health' } } },
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
  await removeFixtureStack(env.docker, env.stack(NAME, { ports: PORTS, services: SERVICES }));
  await env?.teardown();
});

const ids = async () =>
  Promise.all(SERVICES.map(async (s) => (await env.docker.getContainer(`${NAME}-${s}-1`).inspect()).Id));

test('the demo stack: the plan names the target, each change and what blocks it; the rollback then does exactly that', async () => {
  const stack = env.stack(NAME, { ports: PORTS, services: SERVICES, config: { timeouts: FAST_TIMEOUTS } });
  const up = await lifeline(['--json', 'demo', 'up', NAME], cliEnv);
  expect(up.code).toBe(0);
  const good = JSON.parse(up.stdout).goodRelease as string;
  // The broken deploy carries a secret the good release lacks; a backup records that state too.
  await upFixtureStack(env.docker, stack, 'v2.5.0', { godot: [`DB_PASSWORD=${SECRET}`] });
  const backup = await lifeline(['--json', 'backup', NAME], cliEnv);
  expect(backup.code).toBe(0);
  const broken = JSON.parse(backup.stdout).release.id as string;
  const before = await ids();

  const { code, plan } = await planOf([NAME], cliEnv);
  expect(code).toBe(0);
  expect(plan).toMatchObject({ stack: NAME, procedure: 'quick-rollback', blockers: [] });
  expect(plan.target.releaseId).toBe(good);
  expect(plan.target.why).toContain('known-good');
  expect(plan.target.skipped).toEqual([{ id: broken, why: 'the state running now' }]);
  expect(plan.services.map((s) => [s.service, s.action])).toEqual(SERVICES.map((s) => [s, 'recreate']));
  const godot = plan.services.find((s) => s.service === 'godot')!;
  expect(godot.changes).toEqual([
    'image lifeline-fixture/spacetime:v2.5.0 -> lifeline-fixture/spacetime:v2.4.9',
    'env removed: DB_PASSWORD',
  ]);
  expect(plan.order).toEqual([
    { step: 1, what: 'stop every service together', containers: [] },
    { step: 2, what: 'start', containers: SERVICES.map((s) => `${NAME}-${s}-1`) },
  ]);
  // The same plan from `rollback --plan`, in text: no secret's value, and nothing started or changed.
  const text = await lifeline(['rollback', NAME, '--quick', '--plan'], cliEnv);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain(`Target: ${good}: the newest release`);
  expect(text.stdout).toContain('env removed: DB_PASSWORD');
  expect(text.stdout).toContain('Nothing blocks it: it would run now.');
  expect(`${text.stdout}${text.stderr}${JSON.stringify(plan)}`).not.toContain(SECRET);
  expect(await ids()).toEqual(before);
  const procedures = await lifeline(['--json', 'procedures', NAME], cliEnv);
  expect((JSON.parse(procedures.stdout) as { procedure: string }[]).map((p) => p.procedure).sort()).toEqual([
    'backup',
    'backup',
    'stack-owner',
  ]);

  // What blocks it: an image the engine lacks, a release never recorded, an interactive run holding the stack.
  const missing = await planOf([NAME, '--image-tag', 'v9.9.9'], cliEnv);
  expect(missing.code).toBe(1);
  expect(missing.plan.blockers).toEqual(['image(s) not on this engine: lifeline-fixture/spacetime:v9.9.9']);
  const unknown = await planOf([NAME, '--release', '20000101-000000'], cliEnv);
  expect(unknown.code).toBe(1);
  expect(unknown.plan.blockers).toEqual(['no release 20000101-000000 is recorded']);
  const interactive = await env.start('interactive-rollback', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'holds the stack',
  });
  await waitFor(async () => ((await planOf([NAME], cliEnv)).plan.blockers.length ? true : undefined), 'busy');
  const busy = await planOf([NAME], cliEnv);
  expect(busy.code).toBe(1);
  expect(busy.plan.blockers[0]).toContain(`is busy: interactive-rollback ${interactive.workflowId}`);
  const queued = await planOf([NAME, '--queue'], cliEnv);
  expect(queued.plan.blockers).toEqual([]);
  expect(queued.plan.notes[0]).toBe(`waits for interactive-rollback ${interactive.workflowId} to end first`);
  await interactive.cancel();
  await interactive.result().catch(() => undefined);
  await waitFor(async () => ((await planOf([NAME], cliEnv)).plan.blockers.length ? undefined : true), 'free');

  // The rollback, then what it made against the plan, field by field.
  const rolled = await lifeline(['--json', 'rollback', NAME, '--quick'], cliEnv);
  expect(rolled.code).toBe(0);
  expect(JSON.parse(rolled.stdout).result).toMatchObject({ status: 'completed', toRelease: plan.target.releaseId });
  for (const s of plan.services) expect(await containerSettings(env.docker, s.container)).toEqual(s.to);
  // Recreated, as the plan said: no container of before is left.
  expect((await ids()).filter((id) => before.includes(id))).toEqual([]);

  // Named now, the release it left asks for a person's confirmation first.
  const named = await planOf([NAME, '--release', broken], cliEnv);
  expect(named.plan.notes[0]).toMatch(
    new RegExp(`^asks a person to confirm first: release ${broken} is known-bad \\(rolled back from`),
  );

  // Moments after it completed, another quick rollback would be refused unless forced.
  const recent = await planOf([NAME], cliEnv);
  expect(recent.code).toBe(1);
  expect(recent.plan.blockers[0]).toMatch(
    new RegExp(`^stack ${NAME} was changed \\d+ s ago: quick-rollback \\S+ .*ask again with --force$`),
  );
  expect((await planOf([NAME, '--force'], cliEnv)).plan.blockers).not.toContainEqual(recent.plan.blockers[0]);

  // `deploy --plan`: the running state with the app services on the new tag; only the image changes.
  const deploy = await lifeline(['--json', 'deploy', NAME, '--image-tag', 'v2.4.8', '--plan'], cliEnv);
  expect(deploy.code).toBe(0);
  const deployPlan = JSON.parse(deploy.stdout) as RollbackPlan;
  expect(deployPlan).toMatchObject({ procedure: 'automatic-rollback', blockers: [], configFiles: [] });
  expect(deployPlan.target.label).toBe('image:v2.4.8');
  expect(deployPlan.services).toHaveLength(SERVICES.length);
  for (const s of deployPlan.services)
    expect(s.changes).toEqual(['image lifeline-fixture/spacetime:v2.4.9 -> lifeline-fixture/spacetime:v2.4.8']);
});

test('a hold recorded for a stack with no owner blocks the plan; a deploy plan names its fallback', async () => {
  const holds = path.join(env.dataDir, 'holds');
  mkdirSync(holds, { recursive: true });
  writeFileSync(
    path.join(holds, 'planheld.json'),
    JSON.stringify({
      procedure: 'security-breach',
      workflowId: 'security-breach:planheld:x',
      since: '2026-12-06T00:00:00.000Z',
      audience: 'security',
      reason: 'breach under investigation',
    }),
  );
  const held: { code: number | null; plan: RollbackPlan } = await planOf(['planheld', '--deploy', 'v2.4.9'], cliEnv);
  expect(held.code).toBe(1);
  expect(held.plan.procedure).toBe('automatic-rollback');
  expect(held.plan.blockers).toEqual([
    'stack planheld is held since 2026-12-06T00:00:00.000Z by security-breach security-breach:planheld:x: ' +
      'breach under investigation. Nothing starts or changes its containers until the security lifts the hold: ' +
      'lifeline lift planheld --audience "security" --reason <why> --as <name>',
    'no container of the stack exists to take the spec from',
  ]);
  expect(held.plan.notes).toContain(
    'backs up the running state first; if the deploy fails its checks, rolls back to that backup',
  );
});

test('a bad method is a usage error; --plan on an interactive rollback is refused', async () => {
  const both = await lifeline(['plan', NAME, '--quick', '--release', '20251202-143022'], cliEnv);
  expect(both.code).toBe(2);
  expect(both.stderr).toContain('choose one of --quick, --release, --image-tag, --blue-green');
  const interactive = await lifeline(['rollback', NAME, '--plan'], cliEnv);
  expect(interactive.code).toBe(2);
  expect(interactive.stderr).toContain('--plan needs a method');
});
