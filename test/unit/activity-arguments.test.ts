/**
 * The host worker's boundary, argument by argument: each registered activity has a schema, a call of any
 * other activity type is refused, and hostile values in valid shapes (a numeric stack name, a forged
 * setting, a path, a volume or a service that is no name) are refused before the activity runs.
 */
import axios from 'axios';
import fc from 'fast-check';
import Docker from 'dockerode';
import { Client } from '@temporalio/client';
import { createHostActivities, createOrchestrationActivities } from '../../src/activities';
import { PinnedStacks } from '../../src/config/pinned-stacks';
import { configSchema, resolveStack } from '../../src/domain/config';
import { activityArgumentSchemas } from '../../src/worker/activity-arguments';
import { ActivityArgumentsInterceptor } from '../../src/worker/activity-arguments-interceptor';

const config = configSchema.parse({
  dataDir: '/var/lib/lifeline',
  stacks: { shop: { services: { web: { appImage: true } }, volumes: ['shop-data'] } },
});
const stacks = new PinnedStacks((name) => (name === 'shop' ? resolveStack(config, name) : undefined));
const shop = stacks.current('shop')!;
const schemas = activityArgumentSchemas(stacks);

/** Runs the interceptor as the worker does; resolves with the arguments the activity would get. */
const asProcedure = (activityType: string) => ({
  activityType,
  workflowType: 'quickRollback',
  workflowExecution: { workflowId: 'quick-rollback:shop:20260101-000000', runId: 'r' },
});
const call = (activityType: string, ...args: unknown[]) => callAs(asProcedure(activityType), ...args);
const callAs = (info: ReturnType<typeof asProcedure>, ...args: unknown[]) =>
  new ActivityArgumentsInterceptor(schemas, info).execute(
    { args, headers: {} },
    async (input) => input.args,
  ) as Promise<unknown[]>;

test('every registered activity has a schema, and no schema names an activity nobody registers', () => {
  const host = createHostActivities({ docker: new Docker(), host: 'h', http: axios.create() });
  const orchestration = createOrchestrationActivities({
    http: axios.create(),
    client: {} as Client,
    stacks,
  });
  expect(Object.keys(schemas).sort()).toEqual([...Object.keys(host), ...Object.keys(orchestration)].sort());
});

test("a valid call gets the worker's own copy of the pinned stack", async () => {
  const wave = { release: '20260101-000000', label: '20260101-000000', services: ['web'] };
  const [stack, given] = await call('replaceWithRelease', { ...shop }, wave);
  expect(stack).toBe(shop);
  expect(given).toEqual(wave);
  // A left-out optional trailing argument stays out.
  expect(
    await call('notify', shop, { kind: 'started', workflowId: 'w', stack: 'shop', procedure: 'p', message: 'm' }),
  ).toHaveLength(3);
});

test.each<[string, unknown[], RegExp]>([
  [
    'an activity type nobody registered',
    ['execInContainer', 'shop-web-1', ['sh']],
    /execInContainer takes no arguments/,
  ],
  ['an inherited property name', ['constructor'], /constructor takes no arguments/],
  ['a numeric stack name', ['runSmokeTests', { ...shop, name: 42 }], /argument 0\.name/],
  ['a stack without a pinned version', ['runSmokeTests', { ...shop, configHash: undefined }], /argument 0\.configHash/],
  [
    'a forged smoke-test URL',
    ['runSmokeTests', { ...shop, smokeTests: [{ name: 'x', url: 'http://127.0.0.1:1/' }] }],
    /sets smokeTests/,
  ],
  [
    'a spec instead of a wave',
    ['replaceWithRelease', shop, { name: 'x', image: 'busybox', privileged: true }],
    /argument 1/,
  ],
  [
    'a wave with extra keys',
    ['recreateFromRelease', shop, { release: '20260101-000000', label: 'l', services: [], binds: ['/:/host'] }],
    /argument 1/,
  ],
  [
    'a service that is a path',
    ['recreateFromRelease', shop, { release: '20260101-000000', label: 'l', services: ['../x'] }],
    /argument 1\.services\.0/,
  ],
  [
    'an image tag with a registry',
    ['missingImagesOf', shop, { release: '20260101-000000', imageTag: 'evil.io/x:1' }],
    /argument 1\.imageTag/,
  ],
  ['a volume that is a path', ['restoreVolumeArchive', shop, '20260101-000000', '/dev/null'], /argument 2/],
  ['a release ID that is a path', ['verifyVolumeArchive', shop, '../../etc', 'shop-data'], /argument 1/],
  ['a bundle that climbs', ['snapshotVolumes', shop, '..'], /argument 1/],
  ['a host command the worker does not name', ['runHostCommand', shop, 'rm -rf /', 10], /argument 1/],
  ['containers named by the caller', ['stopContainers', ['shop-web-1'], 10], /argument 0/],
  ['a target with extra keys', ['startContainers', { stack: shop, names: ['x'] }], /argument 0/],
  ['engine-wide work without a stack', ['pruneVolumes'], /argument 0/],
  ['one argument too many', ['pruneVolumes', shop, true], /at most 1 arguments/],
  [
    'a hold for another workflow ID shape',
    ['recordHold', shop, { reason: 'r', audience: 'a', procedure: 'p', workflowId: 'a/b', since: 'now' }],
    /argument 1\.workflowId/,
  ],
  [
    'a report whose file name climbs',
    ['writeIncidentReport', shop, { workflowId: '../../x', stack: 'shop' }],
    /argument 1\.workflowId/,
  ],
  ['an owner search for a non-name', ['openProcedures', 'shop" OR true'], /argument 0/],
])('refused: %s', async (_what, [activity, ...args], message) => {
  await expect(call(activity as string, ...args)).rejects.toMatchObject({
    type: 'BadInput',
    nonRetryable: true,
    message: expect.stringMatching(message),
  });
});

test.each([
  ['a workflow type of its own', 'rogue', 'quick-rollback:shop:20260101-000000'],
  ["a procedure of another stack's ID", 'quickRollback', 'quick-rollback:other:20260101-000000'],
  ['an ID that is no procedure of the stack', 'quickRollback', 'rogue-shop'],
])('refused with valid arguments, for %s', async (_what, workflowType, workflowId) => {
  await expect(
    callAs({ activityType: 'pruneVolumes', workflowType, workflowExecution: { workflowId, runId: 'r' } }, shop),
  ).rejects.toMatchObject({
    type: 'BadInput',
    message: expect.stringMatching(/runs only for a Lifeline procedure of stack shop/),
  });
});

test("the stack's owner, its procedures and their children (a hand-over, a verification) are admitted", async () => {
  for (const [workflowType, workflowId] of [
    ['stackOwner', 'stack:shop'],
    ['rollbackFailed', 'emergency:rollback-failed:shop:quick-rollback:shop:20260101-000000'],
    ['rollbackVerification', 'quick-rollback:shop:20260101-000000:verify:6'],
    ['postRollbackActions', 'emergency:data-corruption:shop:20260101-000000-2:post-actions'],
  ])
    expect(
      await callAs({ activityType: 'readHold', workflowType, workflowExecution: { workflowId, runId: 'r' } }, shop),
    ).toEqual([shop]);
});

test("fuzzed: whatever the arguments, a call is refused, or runs with the worker's own stack object", async () => {
  const names = Object.keys(schemas);
  // Hostile values in valid shapes: the pinned stack with one setting changed, names with path tricks.
  const forgedStack = fc
    .tuple(fc.constantFrom(...Object.keys(shop)), fc.anything())
    .map(([key, value]) => ({ ...shop, [key]: value }));
  const name = fc.oneof(fc.string(), fc.constantFrom('..', '../x', '/dev/null', 'a/b', 'shop" OR 1', '-rf'));
  const arg = fc.oneof(fc.anything(), forgedStack, fc.constant(shop), name, fc.record({ stack: forgedStack }));
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...names), fc.array(arg, { maxLength: 4 }), async (activity, args) => {
      let ran: unknown[] | undefined;
      try {
        await new ActivityArgumentsInterceptor(schemas, asProcedure(activity)).execute(
          { args, headers: {} },
          async (input) => (ran = input.args),
        );
      } catch (err) {
        expect(err).toMatchObject({ type: 'BadInput', nonRetryable: true });
        return;
      }
      const first = ran![0] as { stack?: unknown };
      if (activity === 'openProcedures' || activity === 'loadStack' || activity === 'procedureStatus') return;
      expect(first === shop || first.stack === shop).toBe(true);
    }),
    { numRuns: 3000 },
  );
});
