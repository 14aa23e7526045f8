/** The four emergency procedures with people in the loop, on the real engine and server. */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ReleaseStore } from '../src/store/release-store';
import { ownerWorkflowId } from '../src/domain/workflow-ids';
import type { ResolvedStack } from '../src/domain/config';
import type { ReleaseSummary } from '../src/domain/release';
import { removeFixtureStack, upFixtureStack, upNginx, fixtureContainer } from '../src/fixtures/stack';
import {
  abortUpdate,
  acknowledgeUpdate,
  approveUpdate,
  chooseReleaseUpdate,
  confirmStepUpdate,
  denyUpdate,
  liftHoldUpdate,
  ownerStateQuery,
  progressQuery,
} from '../src/workflows/definitions';
import { lifeline } from './harness/cli';
import { liftIfHeld } from './harness/owner';
import { createTestEnv, FAST_TIMEOUTS, harnessState, TestEnv } from './harness/env';
import { inVolume, LISTING } from './harness/volume';
import { recordGoodRelease } from './harness/releases';
import { waitFor, waitForPending } from './harness/waits';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('emergency');
});
afterAll(async () => {
  await env?.teardown();
});

const LADDER = [
  { name: 'on-call engineer', ackTimeoutSeconds: 1 },
  { name: 'senior ops', ackTimeoutSeconds: 1 },
  { name: 'infrastructure team', ackTimeoutSeconds: 1 },
  { name: 'CTO / VP Engineering', ackTimeoutSeconds: 1 },
];

function makeStack(name: string, ports: number[], config: Record<string, unknown> = {}): ResolvedStack {
  return env.stack(name, { ports, services: ['godot', 'api'].slice(0, ports.length), escalation: LADDER, config });
}

const goodRelease = (stack: ResolvedStack, tag = 'v2.4.9'): Promise<ReleaseSummary> =>
  recordGoodRelease(env, stack, tag);

/** Where a procedure's incident report is written. */
const reportOf = (workflowId: string) =>
  path.join(
    env.dataDir,
    'incidents',
    workflowId.split(':').at(-2)!,
    `${workflowId.replace(/[^A-Za-z0-9_.-]/g, '_')}.md`,
  );

const input = (stack: ResolvedStack, reason: string) => ({
  stack,
  trigger: 'cli' as const,
  requestedBy: 'test',
  reason,
  severity: 'critical' as const,
});

/** Holds a port so the app cannot bind it: containers then exit at start, like a host in trouble. */
async function squat(port: number): Promise<net.Server> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('complete service outage', () => {
  test('start fails; volume pruning is denied; after a person confirms the Docker restart, the retry recovers', async () => {
    const stack = makeStack('outage', [19901, 19902], {
      emergency: { minFreeDiskBytes: Number.MAX_SAFE_INTEGER, personTimeoutSeconds: 120 },
    });
    const good = await goodRelease(stack);
    await removeFixtureStack(env.docker, stack); // everything is down
    const squatter = await squat(19901);
    const h = await env.start('complete-service-outage', input(stack, 'all services down'));

    const approval = await waitForPending(h, 'approval', 'senior ops');
    expect(approval.pending?.prompt).toMatch(/Prune unused Docker volumes\? This deletes their data\./);
    await expect(h.executeUpdate(denyUpdate, { args: [{ by: 'bob' }] })).rejects.toThrow(WorkflowUpdateFailedError); // a reason is required
    await h.executeUpdate(denyUpdate, { args: [{ by: 'bob', reason: 'volumes hold player saves' }] });

    const confirm = await waitForPending(h, 'confirm-step', 'on-call engineer');
    expect(confirm.pending?.prompt).toContain('Restart the Docker daemon');
    // The wrong kind of answer is refused and leaves no trace.
    await expect(h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'carol' }] })).rejects.toMatchObject({
      cause: { message: expect.stringContaining('waiting for confirm-step') },
    });
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    await h.executeUpdate(confirmStepUpdate, { args: [{ by: 'carol', reason: 'daemon restarted' }] });

    const result = (await h.result()) as { status: string; toRelease: string };
    expect(result).toMatchObject({ status: 'completed', toRelease: good.id });
    const p = await h.query(progressQuery);
    expect(p.timeline.map((t) => t.step)).toEqual(
      expect.arrayContaining([
        'inventory all containers (docker ps -a)',
        'check disk space (df -h)',
        'free space safely: stopped containers, dangling images, build cache',
        'volumes kept',
      ]),
    );
    expect(p.timeline.some((t) => t.step === 'prune unused volumes (approved)')).toBe(false);
    expect(p.decisions.map((d) => [d.kind, d.by, d.approved])).toEqual([
      ['approval', 'bob', false],
      ['confirm-step', 'carol', undefined],
    ]);
    for (const s of stack.services)
      expect((await env.docker.getContainer(fixtureContainer(stack, s)).inspect()).State.Health?.Status).not.toBe(
        'unhealthy',
      );
    await removeFixtureStack(env.docker, stack);
  });

  test('a retry that fails again escalates up the ladder on silence until someone acknowledges', async () => {
    const stack = makeStack('outage2', [19911], { emergency: { personTimeoutSeconds: 120 } });
    await goodRelease(stack);
    await removeFixtureStack(env.docker, stack);
    const squatter = await squat(19911);
    const h = await env.start('complete-service-outage', input(stack, 'all services down'));
    await waitForPending(h, 'confirm-step');
    await h.executeUpdate(confirmStepUpdate, { args: [{ by: 'carol', reason: 'restarted' }] });
    const atInfra = await waitForPending(h, 'ack', 'infrastructure team');
    expect(atInfra.escalationLevel).toBe(3);
    expect(atInfra.decisions.filter((d) => d.kind === 'timeout').map((d) => d.reason)).toEqual([
      'no answer from senior ops in 1s',
    ]);
    await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'dave' }] });
    expect(await h.result()).toMatchObject({
      status: 'escalated',
      acknowledgedBy: 'dave',
      level: 'infrastructure team',
    });
    squatter.close();
    await removeFixtureStack(env.docker, stack);
  });
});

describe('data corruption', () => {
  const VOLUME = 'lifeline-test-corruption';
  let stack: ResolvedStack;
  beforeAll(async () => {
    await env.docker
      .getVolume(VOLUME)
      .remove({ force: true })
      .catch(() => undefined);
    await env.docker.createVolume({ Name: VOLUME });
    stack = makeStack('corrupt', [19921], {
      volumes: [VOLUME],
      backupVolumes: true,
      integrityCheck: { type: 'http', url: 'http://127.0.0.1:19921/status/' },
    });
  });
  afterAll(async () => {
    await env.docker
      .getVolume(VOLUME)
      .remove({ force: true })
      .catch(() => undefined);
  });

  /** The bytes of each file in a .tar.gz, by name. */
  async function archiveFiles(file: string): Promise<Map<string, Buffer>> {
    const files = new Map<string, Buffer>();
    const ex = extract();
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
        next();
      });
    });
    const done = new Promise<void>((resolve, reject) => ex.on('finish', () => resolve()).on('error', reject));
    const gunzip = createGunzip();
    gunzip.pipe(ex);
    gunzip.end(readFileSync(file));
    await done;
    return files;
  }

  test('snapshot keeps the corrupted bytes; the chosen backup is verified and restored', async () => {
    await inVolume(
      env.docker,
      VOLUME,
      'rm -rf /data/* && mkdir /data/saves && echo "player=42 level=7" > /data/saves/p42.json && echo ok > /data/index',
    );
    const goodListing = await inVolume(env.docker, VOLUME, LISTING);
    const good = await goodRelease(stack);
    await inVolume(env.docker, VOLUME, 'printf "\\x00\\xffCORRUPT" > /data/saves/p42.json && echo junk > /data/stray');
    const corruptBytes = Buffer.from([0x00, 0xff, ...Buffer.from('CORRUPT')]);

    const h = await env.start('data-corruption', input(stack, 'checksum errors in saves'));
    const choose = await waitForPending(h, 'choose-release', 'on-call engineer');
    expect(choose.pending?.options).toContain(good.id);
    // Services were stopped before anything else.
    expect((await env.docker.getContainer(fixtureContainer(stack, stack.services[0])).inspect()).State.Running).toBe(
      false,
    );
    await expect(
      h.executeUpdate(chooseReleaseUpdate, { args: [{ by: 'erin', releaseId: '20000101-000000' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await h.executeUpdate(chooseReleaseUpdate, {
      args: [{ by: 'erin', releaseId: good.id, reason: 'verified the date' }],
    });
    const result = (await h.result()) as {
      status: string;
      snapshot: { archive: string; sha256: string }[];
      verification: { checks: { name: string; passed: boolean }[] };
    };
    expect(result.status).toBe('completed');
    expect(result.verification.checks.find((c) => c.name === 'data integrity')?.passed).toBe(true);
    expect(await inVolume(env.docker, VOLUME, LISTING)).toBe(goodListing);

    // Nothing lost: the emergency snapshot holds the corrupted data, byte for byte.
    const [snap] = result.snapshot;
    expect(createHash('sha256').update(readFileSync(snap.archive)).digest('hex')).toBe(snap.sha256);
    const files = await archiveFiles(snap.archive);
    expect(files.get('saves/p42.json')).toEqual(corruptBytes);
    expect(files.get('stray')?.toString()).toBe('junk\n');
    const p = await h.query(progressQuery);
    expect(p.checklist.find((e) => e.item === 'No data loss')?.state).toBe('done');
  });

  test('a backup whose archive fails its checksum is never restored: nothing is wiped, and it escalates', async () => {
    const good = await goodRelease(stack);
    const full = await new ReleaseStore(env.dataDir).get('corrupt', good.id);
    const archive = path.join(new ReleaseStore(env.dataDir).releaseDir('corrupt', good.id), full.volumes[0].archive);
    const bytes = readFileSync(archive);
    bytes[bytes.length >> 1] ^= 0x55;
    writeFileSync(archive, bytes);
    await inVolume(env.docker, VOLUME, 'echo current-state > /data/marker');
    const before = await inVolume(env.docker, VOLUME, LISTING);

    const h = await env.start('data-corruption', { ...input(stack, 'corruption'), releaseId: good.id });
    const ack = await waitForPending(h, 'ack', 'senior ops');
    expect(ack.pending?.prompt).toContain(`backup ${good.id} is corrupt`);
    expect(await inVolume(env.docker, VOLUME, LISTING)).toBe(before);
    expect((await new ReleaseStore(env.dataDir).summary('corrupt', good.id)).knownBad).toBe(true);
    await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'dba' }] });
    expect(await h.result()).toMatchObject({ status: 'escalated', acknowledgedBy: 'dba' });
    // Its services stay stopped, so the stack stays held until senior ops lift it: no rollback starts them.
    const owner = env.client.workflow.getHandle(ownerWorkflowId('corrupt'));
    const held = await waitFor(async () => {
      const s = await owner.query(ownerStateQuery);
      return s.state === 'held' ? s : undefined;
    }, 'the hold');
    expect(held.hold).toMatchObject({ workflowId: h.workflowId, audience: 'senior ops' });
    expect((await env.request('quick-rollback', input(stack, 'try'))).reply.outcome).toBe('held');
    await owner.executeUpdate(liftHoldUpdate, {
      args: [{ by: 'dba', audience: 'senior ops', reason: 'data checked' }],
    });
  });
});

describe('security breach', () => {
  let stack: ResolvedStack;
  let good: ReleaseSummary;
  beforeAll(async () => {
    stack = makeStack('breach', [19931, 19932], { emergency: { ingressContainer: 'breach-nginx' } });
    good = await goodRelease(stack);
  });
  afterEach(() => liftIfHeld(env.client, 'breach'));
  afterAll(async () => {
    await env.docker
      .getContainer('breach-nginx')
      .remove({ force: true })
      .catch(() => undefined);
    await removeFixtureStack(env.docker, stack);
  });

  async function startBreach(): Promise<Awaited<ReturnType<TestEnv['start']>>> {
    await upFixtureStack(env.docker, stack, 'v2.4.9');
    await upNginx(env.docker, 'breach-nginx', '127.0.0.1:19930', ['127.0.0.1:19931']);
    return env.start('security-breach', input(stack, 'unknown SSH key on host'));
  }

  async function allStopped(): Promise<boolean> {
    const names = [...stack.services.map((s) => fixtureContainer(stack, s)), 'breach-nginx'];
    return (
      await Promise.all(names.map(async (n) => (await env.docker.getContainer(n).inspect()).State.Running))
    ).every((r) => !r);
  }

  test('isolates, collects hashed evidence, waits without timeout, and deploys the approved clean release', async () => {
    const h = await startBreach();
    const waiting = await waitForPending(h, 'approval', 'security team');
    expect(await allStopped()).toBe(true);
    expect(waiting.pending?.options).toEqual([good.id]);

    // Evidence: logs and inspect of every container, each hash in SHA256SUMS matching the file.
    const evidenceStep = waiting.timeline.find((t) => t.step === 'evidence')!;
    const dir = /in (\/\S+)$/.exec(evidenceStep.detail!)![1];
    const sums = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/));
    expect(sums.map(([, name]) => name).sort()).toEqual([
      'api.inspect.json',
      'api.log',
      'godot.inspect.json',
      'godot.log',
      'host.json',
    ]);
    for (const [hash, name] of sums)
      expect(
        createHash('sha256')
          .update(readFileSync(path.join(dir, name)))
          .digest('hex'),
      ).toBe(hash);
    // Evidence is private: the folder 0700, every file 0600.
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const [, name] of sums) expect(statSync(path.join(dir, name)).mode & 0o777).toBe(0o600);

    // Time passes; nothing restarts by itself.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await allStopped()).toBe(true);
    expect((await h.query(progressQuery)).pending?.waitingFor).toBe('security team');

    await expect(
      h.executeUpdate(approveUpdate, { args: [{ by: 'sec', reason: 'clean', releaseId: '19990101-000000' }] }),
    ).rejects.toMatchObject({
      cause: { message: expect.stringContaining('is not one of') },
    });
    await h.executeUpdate(approveUpdate, { args: [{ by: 'sec', reason: 'keys rotated', releaseId: good.id }] });
    const result = (await h.result()) as { status: string; toRelease: string };
    expect(result).toMatchObject({ status: 'completed', toRelease: good.id });
    expect((await env.docker.getContainer('breach-nginx').inspect()).State.Running).toBe(true);
    const releases = await new ReleaseStore(env.dataDir).list('breach');
    // The compromised state was recorded as evidence and never offered as a clean release.
    expect(releases.some((r) => r.reason.startsWith('compromised state'))).toBe(true);
  });

  test('deny keeps the stack isolated', async () => {
    const h = await startBreach();
    await waitForPending(h, 'approval', 'security team');
    await h.executeUpdate(denyUpdate, { args: [{ by: 'sec', reason: 'forensics still running' }] });
    expect(await h.result()).toMatchObject({ status: 'isolated', deniedBy: 'sec', reason: 'forensics still running' });
    expect(await allStopped()).toBe(true);
    // The isolated outcome has its incident report: outcome, the decision (who, when, why), open items for people.
    const report = readFileSync(reportOf(h.workflowId), 'utf8');
    expect(report).toContain('- Outcome: completed: kept isolated: denied by sec');
    expect(report).toContain(
      '- Stack left held: security breach: unknown SSH key on host; only the security team lifts it',
    );
    expect(report).toMatch(
      /## Decisions\n- \S+ approval \(denied\) by sec \(unauthenticated, straight to Temporal\): forensics still running\n/,
    );
    expect(report).toContain(
      '## Open items for people\n- [ ] Root cause analysis started\n- [ ] Fix tested in staging\n- [ ] Runbooks updated\n- [ ] Post-mortem scheduled',
    );
    expect(statSync(reportOf(h.workflowId)).mode & 0o777).toBe(0o600);
  });

  test('abort ends the procedure and leaves everything as it is', async () => {
    const h = await startBreach();
    await waitForPending(h, 'approval', 'security team');
    await expect(h.executeUpdate(abortUpdate, { args: [{ by: 'sec' }] })).rejects.toThrow(WorkflowUpdateFailedError); // reason required
    await h.executeUpdate(abortUpdate, { args: [{ by: 'sec', reason: 'handled by the IR team' }] });
    const err = await h.result().catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause).toMatchObject({
      type: 'Aborted',
      message: expect.stringContaining('aborted by sec: handled by the IR team at "waiting for security team"'),
    });
    expect(await allStopped()).toBe(true);
    expect(readFileSync(reportOf(h.workflowId), 'utf8')).toContain(
      '- Outcome: aborted: aborted by sec: handled by the IR team',
    );
  });

  test('from the CLI: start, status shows whom it waits for, approve', async () => {
    const configFile = path.join(env.dataDir, 'lifeline.yaml');
    const { stringify } = await import('yaml');
    writeFileSync(
      configFile,
      stringify({
        dataDir: env.dataDir,
        escalation: { levels: LADDER },
        stacks: {
          breach: {
            host: env.host,
            services: {
              godot: { healthUrl: 'http://127.0.0.1:19931/health' },
              api: { healthUrl: 'http://127.0.0.1:19932/health' },
            },
            timeouts: FAST_TIMEOUTS,
            emergency: { ingressContainer: 'breach-nginx' },
          },
        },
      }),
    );
    const cliEnv = {
      LIFELINE_CONFIG: configFile,
      TEMPORAL_ADDRESS: harnessState().address,
      LIFELINE_TASK_QUEUE: env.taskQueue,
    };
    await upFixtureStack(env.docker, stack, 'v2.4.9');
    await upNginx(env.docker, 'breach-nginx', '127.0.0.1:19930', ['127.0.0.1:19931']); // on its own, not from an earlier test
    const started = await lifeline(
      ['--json', 'emergency', 'security-breach', 'breach', '--reason', 'leaked token', '--no-wait'],
      cliEnv,
    );
    expect(started.code).toBe(0);
    const { workflowId } = JSON.parse(started.stdout);
    expect(workflowId).toMatch(/^emergency:security-breach:breach:\d{8}-\d{6}$/);
    await waitForPending(env.client.workflow.getHandle(workflowId), 'approval');
    const status = await lifeline(['status', workflowId], cliEnv);
    expect(status.stdout).toContain('waiting for security team');
    expect(status.stdout).toContain(`lifeline approve|deny ${workflowId}`);
    const wrong = await lifeline(['ack', workflowId, '--as', 'x'], cliEnv);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('refused: nothing is waiting for acknowledge');
    const approved = await lifeline(['approve', workflowId, '--as', 'sec', '--reason', 'rotated'], cliEnv);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/recorded: approval by sec at .* \(unauthenticated\) — rotated/);
    await env.client.workflow.getHandle(workflowId).result();
    const unknown = await lifeline(['emergency', 'meteor-strike', 'breach'], cliEnv);
    expect(unknown.code).toBe(2);
  });

  test('an approved release that fails isolates the stack again and escalates; no unapproved release ever starts', async () => {
    // A second "known-good" release whose app crashes at start (v2.5.1), recorded as the newest.
    await upFixtureStack(env.docker, stack, 'v2.5.1');
    const b = await env.start('backup', {
      stack,
      trigger: 'cli',
      requestedBy: 'test',
      reason: 'looked fine',
      knownGood: true,
    });
    const crashing = ((await b.result()) as { release: ReleaseSummary }).release;
    const h = await startBreach();
    const waiting = await waitForPending(h, 'approval', 'security team');
    expect(waiting.pending?.prompt).toContain(`Approve deploying clean release ${crashing.id}`);
    await h.executeUpdate(approveUpdate, {
      args: [{ by: 'sec', reason: 'newest clean build', releaseId: crashing.id }],
    });
    const paged = await waitForPending(h, 'ack', undefined, 120_000);
    expect(paged.timeline.map((t) => t.step)).toContain('ISOLATE again: stop services');
    await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'sec-lead' }] });
    const result = (await h.result()) as { status: string; reason: string };
    expect(result).toMatchObject({ status: 'escalated', acknowledgedBy: 'sec-lead' });
    expect(result.reason).toContain(`approved release ${crashing.id}`);
    expect(result.reason).toContain('no other release started');
    expect(readFileSync(reportOf(h.workflowId), 'utf8')).toContain(
      '- Outcome: completed: escalated; taken by sec-lead',
    );
    // Isolated: nothing runs, and the older known-good release (never approved) was never started.
    expect(await allStopped()).toBe(true);
    for (const s of stack.services) {
      const c = await env.docker.getContainer(fixtureContainer(stack, s)).inspect();
      expect(c.Config.Labels['lifeline.release']).toBe(crashing.id);
    }
    const followUps = [];
    for await (const w of env.client.workflow.list({
      query: `WorkflowType = "rollbackFailed" AND TaskQueue = "${env.taskQueue}"`,
    }))
      followUps.push(w.workflowId);
    expect(followUps.filter((id) => id.includes(':breach:'))).toEqual([]);
  });
});

test('the escalation path on its own: lifeline escalate pages level by level until acknowledged', async () => {
  const stack = makeStack('ladder', [19941]);
  const h = await env.start('escalation', { ...input(stack, 'payment errors'), fromLevel: 2 });
  const atCto = await waitForPending(h, 'ack', 'CTO / VP Engineering');
  expect(atCto.escalationLevel).toBe(4);
  expect(atCto.timeline.filter((t) => t.step.startsWith('waiting for')).map((t) => t.step)).toEqual([
    'waiting for senior ops',
    'waiting for infrastructure team',
    'waiting for CTO / VP Engineering',
  ]);
  // The last level is waited on without end.
  await new Promise((r) => setTimeout(r, 2500));
  expect((await h.query(progressQuery)).pending?.waitingFor).toBe('CTO / VP Engineering');
  await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'cto', reason: 'taking it' }] });
  expect(await h.result()).toMatchObject({
    status: 'escalated',
    acknowledgedBy: 'cto',
    level: 'CTO / VP Engineering',
    reason: 'payment errors',
  });
});
