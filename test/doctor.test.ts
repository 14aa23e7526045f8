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
  const hook = { kind: 'webhook', url: 'http://127.0.0.1:9/hook' };
  writeFileSync(
    sound,
    stringify({
      dataDir: env.dataDir,
      notifications: [hook],
      escalation: { levels: [{ name: 'on-call engineer', contacts: [hook] }] },
      stacks: {
        doc: {
          services: { godot: { healthUrl: health } },
          volumes: ['doc-data'],
          backupVolumes: true,
          integrityCheck: { type: 'http', url: health },
          emergency: { firewallCommand: ['/bin/true'] },
        },
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

    const poor = path.join(env.dataDir, 'poor.yaml');
    writeFileSync(
      poor,
      stringify({
        dataDir: env.dataDir,
        stacks: { doc: { services: { godot: { healthUrl: 'http://127.0.0.1:1/health' }, ghost: {} } } },
      }),
    );
    const bad = await lifeline(['doctor', '--json'], cliEnv(poor, '127.0.0.1:1'));
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
    // The human form says the same, one problem and its fix per entry.
    const text = await lifeline(['doctor'], cliEnv(poor, '127.0.0.1:1'));
    expect(text.stdout).toContain('error: Temporal: cannot reach Temporal');
    expect(text.stdout).toContain('  fix: start it (npm start) or set TEMPORAL_ADDRESS');
    expect(text.code).toBe(2);
  } finally {
    await removeFixtureStack(env.docker, stack);
  }
});
