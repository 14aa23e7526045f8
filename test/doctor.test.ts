/**
 * `lifeline doctor` on the real engine and server: a sound config exits 0; a config with each problem the
 * runbook cares about (and a world that does not answer) names each one with its fix and exits 2.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { removeFixtureStack, upFixtureStack, waitFixtureHealthy } from '../src/fixtures/stack';
import type { Finding } from '../src/domain/doctor';
import { lifeline } from './harness/cli';
import { startRecorder } from './harness/recorder';
import { createTestEnv, harnessState, TestEnv } from './harness/env';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('doctor', { roles: [] });
});
afterAll(async () => {
  await env?.teardown();
});

const PORT = 16531;
const health = `http://127.0.0.1:${PORT}/health`;

test('a sound config exits 0; each problem is named with its fix, and errors exit 2', async () => {
  const stack = env.stack('doc', { ports: [PORT], services: ['godot'] });
  const sound = path.join(env.dataDir, 'sound.yaml');
  // A listening webhook: doctor connects to it, and posts nothing.
  const receiver = await startRecorder();
  const hook = { kind: 'webhook', url: `${receiver.url}/hook` };
  const soundStack = {
    services: { godot: { healthUrl: health } },
    volumes: ['doc-data'],
    backupVolumes: true,
    integrityCheck: { type: 'http', url: health },
    emergency: { firewallCommand: ['/bin/true'] },
  };
  writeFileSync(
    sound,
    stringify({
      dataDir: env.dataDir,
      notifications: [hook],
      escalation: { levels: [{ name: 'on-call engineer', contacts: [hook] }] },
      stacks: {
        doc: soundStack,
      },
    }),
  );
  const cliEnv = (file: string, address = harnessState().address) => ({
    LIFELINE_CONFIG: file,
    TEMPORAL_ADDRESS: address,
  });
  try {
    await upFixtureStack(env.docker, stack, 'v2.4.9');
    await waitFixtureHealthy(env.docker, stack);
    const ok = await lifeline(['doctor', '--json'], cliEnv(sound));
    expect(JSON.parse(ok.stdout)).toEqual({ sound: true, findings: [] });
    expect(ok.code).toBe(0);
    expect(receiver.requests).toEqual([]);

    // People on channels that do not answer, and a PagerDuty key this environment lacks.
    const unreached = path.join(env.dataDir, 'unreached.yaml');
    const roles = ['on-call engineer', 'senior ops', 'infrastructure team', 'CTO / VP Engineering', 'security team'];
    writeFileSync(
      unreached,
      stringify({
        dataDir: env.dataDir,
        notifications: [hook],
        people: [
          {
            name: 'ann',
            roles,
            channels: [
              { kind: 'slack', url: 'http://127.0.0.1:1/slack' },
              { kind: 'pagerduty', routingKeyEnv: 'DOCTOR_TEST_PAGERDUTY_KEY', url: `${receiver.url}/pd` },
            ],
          },
        ],
        stacks: { doc: soundStack },
      }),
    );
    const people = await lifeline(['doctor', '--json'], cliEnv(unreached));
    expect(people.code).toBe(1);
    expect((JSON.parse(people.stdout) as { findings: Finding[] }).findings).toEqual([
      {
        level: 'warning',
        where: 'people.ann.channels[0]',
        problem: expect.stringMatching(/^cannot reach http:\/\/127\.0\.0\.1:1\/slack: .*ECONNREFUSED/),
        fix: 'check the URL, and that this host may connect to it',
      },
      {
        level: 'warning',
        where: 'people.ann.channels[1]',
        problem: 'DOCTOR_TEST_PAGERDUTY_KEY is not set here, so pages to it carry no routing key',
        fix: "set DOCTOR_TEST_PAGERDUTY_KEY in the worker's environment (and here, to check it)",
      },
    ]);
    expect(receiver.requests).toEqual([]);

    const poor = path.join(env.dataDir, 'poor.yaml');
    writeFileSync(
      poor,
      stringify({
        dataDir: env.dataDir,
        stacks: { doc: { services: { godot: { healthUrl: 'http://127.0.0.1:1/health' }, ghost: {} } } },
      }),
    );
    // ... with no payload key either.
    const noKey = { LIFELINE_CODEC_KEYS_FILE: path.join(env.dataDir, 'no-such-codec-keys') };
    const bad = await lifeline(['doctor', '--json'], { ...cliEnv(poor, '127.0.0.1:1'), ...noKey });
    expect(bad.code).toBe(2);
    const findings = (JSON.parse(bad.stdout) as { findings: Finding[] }).findings;
    const about = (where: string) => findings.find((f) => f.where === where);
    expect(about('notifications')).toMatchObject({ level: 'warning', fix: expect.stringContaining('notifications') });
    expect(about('escalation.levels.on-call engineer')).toMatchObject({ fix: expect.stringContaining('contacts') });
    expect(about('stacks.doc.volumes')?.fix).toContain('backupVolumes: true');
    expect(about('stacks.doc.integrityCheck')?.fix).toContain('integrityCheck');
    expect(about('stacks.doc.emergency.firewallCommand')?.fix).toContain('firewallCommand');
    expect(about('stacks.doc.services.ghost.healthUrl')?.level).toBe('warning');
    expect(about('stacks.doc.services.ghost')?.problem).toContain('no container of ghost');
    expect(about('stacks.doc.services.godot.healthUrl')?.problem).toContain('http://127.0.0.1:1/health answers');
    expect(about('Temporal')).toMatchObject({ level: 'error', fix: expect.stringContaining('TEMPORAL_ADDRESS') });
    expect(about('payload key')).toMatchObject({
      level: 'error',
      problem: expect.stringContaining('no payload encryption key'),
      fix: expect.stringContaining('LIFELINE_CODEC_KEY'),
    });
    // The human form says the same, one problem and its fix per entry.
    const text = await lifeline(['doctor'], cliEnv(poor, '127.0.0.1:1'));
    expect(text.stdout).toContain('error: Temporal: cannot reach Temporal');
    expect(text.stdout).toContain('  fix: start it (npm start) or set TEMPORAL_ADDRESS');
    expect(text.code).toBe(2);
  } finally {
    await removeFixtureStack(env.docker, stack);
    await receiver.close();
  }
});
