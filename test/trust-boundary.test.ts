/**
 * Histories hold ciphertext: a container env secret and a Slack webhook token go through a rollback and an
 * escalation, and then appear neither in the Temporal server's SQLite files nor in `temporal workflow show`
 * without the codec; through Lifeline's codec endpoint (with the API token) they decode again.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ReleaseStore } from '../src/store/release-store';
import { promisify } from 'node:util';
import axios from 'axios';
import { fixtureContainer, removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import { hostTaskQueue } from '../src/domain/task-queues';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { ReleaseSummary } from '../src/domain/release';
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  WorkflowHandle,
  WorkflowIdConflictPolicy,
} from '@temporalio/client';
import { ownerStartOptions } from '../src/client/start-procedure';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import { abortUpdate, acknowledgeUpdate, ownerStateQuery, requestProcedureUpdate } from '../src/workflows/definitions';
import { API_TOKEN, startApi } from './harness/api';
import { createTestEnv, FAST_TIMEOUTS, harnessState, testDataConverter, TestEnv } from './harness/env';
import { TEMPORAL_BIN } from './harness/paths';
import { recordGoodRelease } from './harness/releases';
import { startRecorder } from './harness/recorder';
import { waitFor, waitForPending } from './harness/waits';
import { verificationRunner } from './harness/verification';
import { inVolume, LISTING } from './harness/volume';
import { createHostActivities } from '../src/activities';
import type { ActivityName } from '../src/worker/activity-arguments';
import type { DataConverter } from '@temporalio/common';

const run = promisify(execFile);
let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv('trust');
});
afterAll(async () => {
  await env?.teardown();
});

test('a canary env secret and a canary Slack token never reach the server in plain text; the codec endpoint decodes them', async () => {
  const dbCanary = `canary-db-${randomBytes(8).toString('hex')}`;
  const slackCanary = `canary-slack-${randomBytes(8).toString('hex')}`;
  const slack = await startRecorder();
  const slackUrl = `${slack.url}/services/${slackCanary}`;
  const stack = env.stack('canary', {
    ports: [19801],
    services: ['godot'],
    notifications: [{ kind: 'slack', url: slackUrl }],
    escalation: [{ name: 'on-call engineer', ackTimeoutSeconds: 600, contacts: [{ kind: 'slack', url: slackUrl }] }],
    config: { timeouts: FAST_TIMEOUTS },
  });
  const secretEnv = { godot: [`DB_PASSWORD=${dbCanary}`] };
  await upFixtureStack(env.docker, stack, 'v2.4.9', secretEnv);
  await waitFixtureHealthy(env.docker, stack);
  const b = await env.start('backup', { stack, trigger: 'cli', requestedBy: 'test', reason: 'good', knownGood: true });
  const { release: good } = (await b.result()) as { release: ReleaseSummary };
  await upFixtureStack(env.docker, stack, 'v2.5.0', secretEnv);

  const rollback = await env.start('quick-rollback', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'bad deploy',
  });
  expect(await rollback.result()).toMatchObject({ status: 'completed', toRelease: good.id });
  const escalation = await env.start('escalation', {
    stack,
    trigger: 'cli',
    requestedBy: 'test',
    reason: 'customer data at risk',
  });
  await waitForPending(escalation, 'ack', 'on-call engineer');
  await escalation.executeUpdate(acknowledgeUpdate, { args: [{ by: 'oncall' }] });
  await escalation.result();
  // The secrets were really used: the fixture ran with the env, Slack got the posts.
  expect((await env.docker.getContainer('canary-godot-1').inspect()).Config.Env).toContain(`DB_PASSWORD=${dbCanary}`);
  expect(slack.requests.filter((r) => r.url === `/services/${slackCanary}`).length).toBeGreaterThanOrEqual(2);

  // On disk, what holds the secret is private: release records, their folders, and the incident report.
  const store = new ReleaseStore(env.dataDir);
  const releaseDir = store.releaseDir('canary', good.id);
  expect(statSync(releaseDir).mode & 0o777).toBe(0o700);
  for (const f of ['release.json', 'request-key']) expect(statSync(path.join(releaseDir, f)).mode & 0o777).toBe(0o600);
  expect(readFileSync(path.join(releaseDir, 'release.json'), 'utf8')).toContain(dbCanary); // the record needs it to recreate
  const postActions = (await rollback.result()) as { postActionsWorkflowId: string };
  const { reportPath } = (await env.client.workflow.getHandle(postActions.postActionsWorkflowId).result()) as {
    reportPath: string;
  };
  expect(statSync(reportPath).mode & 0o777).toBe(0o600);
  expect(statSync(path.dirname(reportPath)).mode & 0o777).toBe(0o700);

  // The server's database (and its write-ahead log) holds neither canary.
  const { dbFile, address } = harnessState();
  const stored = [dbFile, `${dbFile}-wal`].filter(existsSync).map((f) => readFileSync(f));
  expect(stored.length).toBeGreaterThan(0);
  for (const bytes of stored) {
    expect(bytes.includes(dbCanary)).toBe(false);
    expect(bytes.includes(slackCanary)).toBe(false);
  }
  // Nor does the history as the temporal CLI shows it without the codec...
  for (const id of [rollback.workflowId, escalation.workflowId]) {
    const { stdout } = await run(TEMPORAL_BIN, ['workflow', 'show', '--address', address, '-w', id, '-o', 'json'], {
      maxBuffer: 64 << 20,
    });
    expect(stdout).toContain(Buffer.from('binary/encrypted').toString('base64')); // payloads are sealed
    expect(stdout.includes(dbCanary) || stdout.includes(slackCanary)).toBe(false);
  }
  // ...while Lifeline's codec endpoint, with the API token, gives them back (so the canaries were in there).
  const api = await startApi(env, { canary: { host: env.host, services: { godot: {} } } });
  try {
    const { stdout } = await run(
      TEMPORAL_BIN,
      ['workflow', 'show', '--address', address, '-w', rollback.workflowId, '-o', 'json'],
      { maxBuffer: 64 << 20 },
    );
    const sealed: { metadata: Record<string, string>; data: string }[] = [];
    const collect = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(collect);
      else if (v && typeof v === 'object') {
        const o = v as { metadata?: Record<string, string>; data?: string };
        if (o.metadata?.encoding === Buffer.from('binary/encrypted').toString('base64') && typeof o.data === 'string')
          sealed.push({ metadata: o.metadata, data: o.data });
        else Object.values(v).forEach(collect);
      }
    };
    collect(JSON.parse(stdout));
    expect(sealed.length).toBeGreaterThan(10);
    const decoded = await axios.post(
      `${api.url}/codec/decode`,
      { payloads: sealed },
      { headers: { authorization: `Bearer ${API_TOKEN}`, 'x-namespace': 'default' } },
    );
    const plain = (decoded.data.payloads as { data: string }[])
      .map((p) => Buffer.from(p.data, 'base64').toString('utf8'))
      .join('\n');
    expect(plain).toContain(dbCanary);
    expect(plain).toContain(slackCanary);
    const refused = await axios.post(`${api.url}/codec/decode`, { payloads: sealed }, { validateStatus: () => true });
    expect(refused.status).toBe(401);
  } finally {
    await api.close();
    await slack.close();
    await removeFixtureStack(env.docker, stack);
  }
});

test('a host command forged into a request never runs: the owner refuses settings its worker config does not hold', async () => {
  const marker = path.join(env.dataDir, `forged-${randomBytes(4).toString('hex')}`);
  // The worker's own config for this stack has no firewall command.
  const stack = env.stack('forge', { ports: [19811], services: ['godot'], config: { timeouts: FAST_TIMEOUTS } });
  const forged = { ...stack, emergency: { ...stack.emergency, firewallCommand: ['/bin/sh', '-c', `touch ${marker}`] } };
  // Straight to Temporal, as anyone who can reach the server could: a breach request carrying the forged stack.
  const request = {
    procedure: 'security-breach' as const,
    args: { stack: forged, trigger: 'api' as const, requestedBy: 'intruder', reason: 'forged' },
    whenBusy: 'refuse' as const,
  };
  const refused = await env.client.workflow
    .executeUpdateWithStart(requestProcedureUpdate, {
      args: [request],
      startWorkflowOperation: new WithStartWorkflowOperation('stackOwner', {
        ...ownerStartOptions(stack, { taskQueue: env.taskQueue }),
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      }),
    })
    .then(
      () => undefined,
      (err: Error & { cause?: Error }) => err,
    );
  expect(String(refused?.cause?.message ?? refused?.message)).toContain(
    "the request sets emergency.firewallCommand of stack forge, which this worker's config does not hold; nothing ran",
  );
  const owner = await env.client.workflow.getHandle(ownerWorkflowId('forge')).query(ownerStateQuery);
  expect(owner.running).toBeUndefined(); // the stack is free again
  expect(existsSync(marker)).toBe(false);
});

test('verification started on its own, for another stack, with a numeric stack name or a forged URL fetches nothing', async () => {
  const stack = env.stack('pinned', { ports: [19813], services: ['godot'], config: { timeouts: FAST_TIMEOUTS } });
  const recorder = await startRecorder();
  const runner = await verificationRunner(env);
  try {
    const pinned = env.pinned(stack);
    // The hash of the real config, with a smoke test pointed at the recorder.
    const forged = { ...pinned, smokeTests: [{ ...pinned.smokeTests[0], url: `${recorder.url}/forged` }] };
    const numeric = { ...forged, name: 42 };
    const started = (input: unknown) =>
      env.client.workflow.execute('rollbackVerification', {
        taskQueue: env.taskQueue,
        workflowId: `direct-verify-${randomBytes(3).toString('hex')}`,
        args: [input],
      });
    const notOwner = { cause: { type: 'NotOwner', message: expect.stringContaining('nothing ran') } };
    // Started on its own (anyone who reaches Temporal could): refused before any activity.
    await expect(started({ stack: forged })).rejects.toMatchObject(notOwner);
    await expect(started({ stack: numeric })).rejects.toMatchObject(notOwner);
    // Under a parent named as a procedure of another stack, or of the "stack" 42: refused the same way.
    await expect(runner.verify({ stack: forged }, 'other')).rejects.toMatchObject({ cause: notOwner });
    await expect(runner.verify({ stack: numeric })).rejects.toMatchObject({ cause: notOwner });
    // Under a procedure of its own stack, the forged setting reaches the host worker, which refuses it.
    await expect(runner.verify({ stack: forged })).rejects.toMatchObject({
      cause: {
        cause: {
          cause: {
            type: 'BadInput',
            message: expect.stringContaining('the request sets smokeTests.0.url of stack pinned'),
          },
        },
      },
    });
    expect(recorder.requests).toHaveLength(0);
  } finally {
    await runner.close();
    await recorder.close();
  }
});

test('a running escalation keeps the contacts it started with; one started after the config changed uses the new ones', async () => {
  const recorder = await startRecorder();
  const ladder = (tag: string, onCallSeconds: number) => [
    {
      name: 'on-call engineer',
      ackTimeoutSeconds: onCallSeconds,
      contacts: [{ kind: 'webhook' as const, url: `${recorder.url}/${tag}/on-call` }],
    },
    {
      name: 'senior ops',
      ackTimeoutSeconds: 600,
      contacts: [{ kind: 'webhook' as const, url: `${recorder.url}/${tag}/senior` }],
    },
  ];
  const paged = (url: string) => recorder.requests.filter((r) => r.url === url).length;
  try {
    const before = env.stack('repinned', {
      ports: [19814],
      services: ['godot'],
      escalation: ladder('before', 2),
      config: { timeouts: FAST_TIMEOUTS },
    });
    const first = await env.start('escalation', {
      stack: before,
      trigger: 'cli',
      requestedBy: 'test',
      reason: 'first',
    });
    await waitForPending(first, 'ack', 'on-call engineer');
    // The operator edits the config while the first escalation waits.
    const after = env.stack('repinned', {
      ports: [19814],
      services: ['godot'],
      escalation: ladder('after', 600),
      config: { timeouts: FAST_TIMEOUTS },
    });
    await new Promise((r) => setTimeout(r, 1100)); // escalation workflow IDs are per second
    const second = await env.start('escalation', {
      stack: after,
      trigger: 'cli',
      requestedBy: 'test',
      reason: 'second',
    });
    await waitForPending(second, 'ack', 'on-call engineer');
    // The first moves up to senior ops on silence, paging the contact of the version it pinned.
    await waitForPending(first, 'ack', 'senior ops');
    await waitFor(
      async () => (paged('/before/senior') === 1 ? true : undefined),
      'senior ops paged from the pinned version',
    );
    expect(paged('/after/senior')).toBe(0);
    expect([paged('/before/on-call'), paged('/after/on-call')]).toEqual([1, 1]);
    for (const h of [first, second]) await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'oncall' }] });
  } finally {
    await recorder.close();
  }
});

test("the stack's own firewall command, from the worker's config, runs exactly once", async () => {
  const marker = path.join(env.dataDir, `firewall-${randomBytes(4).toString('hex')}`);
  const stack = env.stack('firewalled', {
    ports: [19812],
    services: ['godot'],
    config: { timeouts: FAST_TIMEOUTS, emergency: { firewallCommand: ['/bin/sh', '-c', `echo blocked >> ${marker}`] } },
  });
  const h = await env.start('security-breach', { stack, trigger: 'cli', requestedBy: 'test', reason: 'key leaked' });
  await waitForPending(h, 'approval', 'security team');
  expect(readFileSync(marker, 'utf8')).toBe('blocked\n');
  await h.executeUpdate(abortUpdate, { args: [{ by: 'test', reason: 'test over' }] });
});

test('a noisy service (100 error lines of 16 KB each) still rolls back; the lines kept are capped', async () => {
  const stack = env.stack('noisy', { ports: [19813, 19814], config: { timeouts: FAST_TIMEOUTS } });
  try {
    const good = await recordGoodRelease(env, stack);
    const noise = ['NOISY_LINES=100', 'NOISY_BYTES=16000'];
    await upFixtureStack(env.docker, stack, 'v2.5.0', { godot: noise, api: noise });
    await waitFor(
      async () =>
        (await env.docker.getContainer('noisy-godot-1').logs({ stderr: true, tail: 300 })).length > 1_600_000
          ? true
          : undefined,
      'the noise',
    );
    const h = await env.start('quick-rollback', { stack, trigger: 'cli', requestedBy: 'test', reason: 'noisy deploy' });
    const result = (await h.result()) as { status: string; toRelease: string; postActionsWorkflowId: string };
    expect(result).toMatchObject({ status: 'completed', toRelease: good.id });
    const { reportPath } = (await env.client.workflow.getHandle(result.postActionsWorkflowId).result()) as {
      reportPath: string;
    };
    const kept = readFileSync(reportPath, 'utf8')
      .split('\n')
      .filter((l) => /^ {4}\[(godot|api)\] ERROR/.test(l));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThanOrEqual(50);
    for (const line of kept) expect(line.length).toBeLessThanOrEqual(1100);
  } finally {
    await removeFixtureStack(env.docker, stack);
  }
});

test('a rogue workflow schedules every host and orchestration activity, in plaintext and then with the key: every call is refused, nothing happens', async () => {
  const listener = await startRecorder();
  const marker = path.join(env.dataDir, `rogue-${randomBytes(4).toString('hex')}`);
  const victimVolume = `rogue-victim-${randomBytes(3).toString('hex')}`;
  const unusedVolume = `rogue-unused-${randomBytes(3).toString('hex')}`;
  // The stack's own config points its probes, notices and firewall command where an effect would show.
  const stack = env.stack('rogue', {
    ports: [19811],
    services: ['godot'],
    notifications: [{ kind: 'webhook', url: `${listener.url}/notice` }],
    config: {
      volumes: [victimVolume],
      smokeTests: [{ name: 'probe', url: `${listener.url}/probe`, expectStatus: 200 }],
      emergency: { firewallCommand: ['/bin/sh', '-c', `touch ${marker}`] },
    },
  });
  await upFixtureStack(env.docker, stack, 'v2.4.9');
  const container = fixtureContainer(stack, stack.services[0]);
  const runningId = (await env.docker.getContainer(container).inspect()).Id;
  await env.docker.createVolume({ Name: victimVolume });
  await env.docker.createVolume({ Name: unusedVolume }); // what a volume prune on this engine would delete
  await inVolume(env.docker, victimVolume, 'echo keep > /data/keep');
  const victimBefore = await inVolume(env.docker, victimVolume, LISTING);
  const canary = `rogue-canary-${randomBytes(4).toString('hex')}`;

  const pinned = env.pinned(stack);
  const release = '20260101-000000';
  const wave = { release, label: release, services: ['godot'] };
  const report = {
    workflowId: canary,
    stack: 'rogue',
    procedure: 'x',
    reason: 'x',
    outcome: 'x',
    timeline: [],
    checklist: [],
    errorLines: [],
  };
  // Every registered activity, with arguments its schema accepts, aimed at the stack: only the caller is wrong.
  const valid: Record<ActivityName, unknown[]> = {
    recordRelease: [pinned, { reason: 'rogue', requestKey: canary }],
    listReleases: [pinned],
    getRelease: [pinned, release],
    releaseToRestore: [pinned, release],
    markRelease: [pinned, release, { knownBad: 'rogue' }, 'rogue'],
    markLeaving: [pinned, { by: 'rogue', reason: 'rogue' }],
    restoreConfigFiles: [pinned, release],
    settleReleases: [pinned, { by: 'rogue' }],
    pruneReleases: [pinned],
    missingImagesOf: [pinned, { release }],
    replaceWithRelease: [pinned, wave],
    swapBehindIngress: [pinned, { release, label: release }],
    recreateFromRelease: [pinned, wave],
    verifyVolumeArchive: [pinned, release, victimVolume],
    restoreVolumeArchive: [pinned, release, victimVolume],
    waitForStackHealthy: [pinned, { timeoutSeconds: 1, stableSeconds: 0 }],
    runSmokeTests: [pinned],
    checkStatusApi: [pinned],
    queryPrometheus: [pinned],
    checkIntegrity: [pinned],
    scanErrorLogs: [pinned],
    prepareRollback: [pinned, { reason: 'rogue', requestKey: canary, beganAt: new Date().toISOString() }],
    switchNginxUpstream: [pinned],
    collectEvidence: [pinned, canary, 10],
    snapshotVolumes: [pinned, canary],
    diskFree: [pinned],
    runHostCommand: [pinned, 'firewallCommand', 10],
    inspectStack: [pinned],
    containersOfProject: [pinned, 'blue'],
    stopContainers: [{ stack: pinned }, 1],
    startContainers: [{ stack: pinned }],
    listAllContainers: [pinned],
    pruneSafe: [pinned],
    pruneVolumes: [pinned],
    notify: [pinned, { kind: 'alert', workflowId: canary, stack: 'rogue', procedure: 'x', message: 'x' }],
    writeIncidentReport: [pinned, report],
    createGithubIssue: [pinned, report],
    noteInIncidentReport: [pinned, canary, 'rogue'],
    procedureStatus: [canary],
    openProcedures: ['rogue'],
    loadStack: [{ requested: { name: 'rogue' } }],
    recordHold: [pinned, { reason: 'r', audience: 'a', procedure: 'backup', workflowId: canary, since: 'now' }],
    readHold: [pinned],
    askPeople: [
      pinned,
      {
        workflowId: canary,
        kind: 'approval',
        procedure: 'x',
        audience: 'on-call engineer',
        prompt: 'x',
        evidence: [],
        answerWith: 'x',
        questionId: '1.x',
      },
    ],
    settlePages: [pinned, canary, 'resolve'],
    openDecisionProof: [pinned, 'bm90LWEtcHJvb2Y'],
  };
  const host = new Set(Object.keys(createHostActivities({ docker: env.docker, host: env.host, http: axios.create() })));
  const queueOf = (name: string) => (host.has(name) ? hostTaskQueue(env.host) : env.taskQueue);
  const hostQueue = hostTaskQueue(env.host);
  // And hostile arguments: the raw operations behind the registered ones, a forged stack, a path for a volume.
  const hostile: [string, string, unknown[]][] = [
    [hostQueue, 'execInContainer', [container, ['sh', '-c', `touch ${marker}`]]],
    [
      hostQueue,
      'recreateFromSpec',
      [
        'rogue',
        {
          service: 'x',
          name: canary,
          image: 'lifeline-fixture/spacetime:v2.4.9',
          privileged: true,
          binds: ['/:/host'],
        },
        'r',
        1,
      ],
    ],
    [
      hostQueue,
      'replaceServices',
      [pinned, [{ service: 'x', name: canary, image: 'lifeline-fixture/spacetime:v2.4.9' }], 'r'],
    ],
    [
      hostQueue,
      'restoreVolume',
      [victimVolume, '/dev/null', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ],
    [hostQueue, 'backupVolume', [victimVolume, `${marker}.tar.gz`]],
    [hostQueue, 'containerLogs', [container, 10]],
    [hostQueue, 'restoreVolumeArchive', [pinned, release, '/dev/null']],
    [
      hostQueue,
      'runSmokeTests',
      [{ ...pinned, smokeTests: [{ name: 'x', url: `${listener.url}/forged`, expectStatus: 200 }] }],
    ],
    [hostQueue, 'runSmokeTests', [{ ...pinned, name: 42 }]],
    [hostQueue, 'snapshotVolumes', [pinned, '..']],
    [
      env.taskQueue,
      'notify',
      [{ ...pinned, notifications: [{ kind: 'webhook', url: `${listener.url}/forged` }] }, valid.notify[1]],
    ],
  ];
  const calls = [
    ...Object.entries(valid).map(([name, args]): [string, string, unknown[]] => [queueOf(name), name, args]),
    ...hostile,
  ];

  const connection = await NativeConnection.connect({ address: harnessState().address });
  const rogueRun = async (dataConverter: DataConverter | undefined, body: (h: WorkflowHandle) => Promise<void>) => {
    const taskQueue = `rogue-${randomBytes(3).toString('hex')}`;
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('./fixtures/rogue/workflows'),
      dataConverter,
    });
    const client = new Client({
      connection: await Connection.connect({ address: harnessState().address }),
      dataConverter,
    });
    try {
      const handle = await client.workflow.start('rogue', {
        taskQueue,
        workflowId: `${taskQueue}-${canary}`,
        args: [calls],
      });
      await worker.runUntil(body(handle));
    } finally {
      await client.connection.close();
    }
  };
  try {
    // Temporal's default (plaintext) data converter, no Lifeline key: the workers refuse every payload, and
    // their refusals are sealed too, so the rogue cannot even read why (its workflow task fails on them).
    await rogueRun(undefined, async (handle) => {
      const ended = async () =>
        (await handle.fetchHistory()).events!.filter(
          (e) => e.activityTaskFailedEventAttributes || e.activityTaskCompletedEventAttributes,
        );
      await waitFor(async () => (await ended()).length === calls.length, 'every plaintext call to end');
      const events = await ended();
      expect(events.filter((e) => e.activityTaskCompletedEventAttributes)).toHaveLength(0);
      for (const e of events) expect(e.activityTaskFailedEventAttributes!.failure!.message).toBe('Encoded failure');
      await handle.terminate('test over');
    });
    // Sealed with the key (someone who holds it): arguments outside the schemas, and callers that are no
    // procedure of the stack, are refused.
    let sealed: string[] = [];
    await rogueRun(testDataConverter(), async (handle) => {
      sealed = (await handle.result()) as string[];
    });
    expect(sealed).toHaveLength(calls.length);
    for (const o of sealed) expect(o).toMatch(/: .*(nothing ran|is not registered)/);
    const notOurs = sealed.filter((o) => /runs only for a Lifeline procedure/.test(o));
    expect(notOurs).toHaveLength(Object.keys(valid).length);

    // The effects, not the messages.
    expect(listener.requests).toHaveLength(0); // no probe, no notice, no forged URL fetched
    expect(existsSync(marker)).toBe(false); // neither the firewall command nor an exec ran
    expect(existsSync(`${marker}.tar.gz`)).toBe(false);
    const running = await env.docker.getContainer(container).inspect();
    expect({ id: running.Id, running: running.State.Running }).toEqual({ id: runningId, running: true }); // not stopped, not recreated
    await expect(env.docker.getContainer(canary).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await inVolume(env.docker, victimVolume, LISTING)).toBe(victimBefore); // not wiped, not restored
    expect((await env.docker.getVolume(unusedVolume).inspect()).Name).toBe(unusedVolume); // nothing pruned
    for (const dir of ['releases', 'emergency', 'incidents', 'holds'])
      expect(existsSync(path.join(env.dataDir, dir, 'rogue'))).toBe(false);
    expect(existsSync(path.join(env.dataDir, 'holds', 'rogue.json'))).toBe(false);
  } finally {
    await connection.close();
    await listener.close();
    await removeFixtureStack(env.docker, stack);
    for (const v of [victimVolume, unusedVolume])
      await env.docker
        .getVolume(v)
        .remove({ force: true })
        .catch(() => undefined);
  }
});
