/**
 * Files restored only where they were recorded: a compose label naming a file outside the project's working
 * directory, or through a symlink, is never recorded; a release naming one is refused with nothing written;
 * a restored file gets back the mode it was recorded with.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import axios from 'axios';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHostActivities } from '../src/activities';
import type { ReleaseSummary } from '../src/domain/release';
import { fixtureContainer, removeFixtureStack, servicePort } from '../src/fixtures/stack';
import { SPACETIME_IMAGE } from '../src/fixtures/images';
import { ReleaseStore } from '../src/store/release-store';
import { createTestEnv, TestEnv } from './harness/env';
import { TEST_DIR } from './harness/paths';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('places', { roles: [] });
});
afterAll(async () => {
  await env?.teardown();
});

test('a compose label pointing outside the working directory or at a symlink is neither recorded nor restored', async () => {
  const stack = env.stack('places', { ports: [16451], services: ['godot'] });
  const dir = mkdtempSync(path.join(TEST_DIR, 'places-'));
  const project = path.join(dir, 'proj');
  mkdirSync(project);
  const compose = path.join(project, 'compose.yml');
  const outside = path.join(dir, 'outside.env');
  writeFileSync(compose, 'services: {}\n', { mode: 0o640 });
  chmodSync(compose, 0o640);
  writeFileSync(outside, 'SECRET=host-file\n');
  symlinkSync(outside, path.join(project, 'linked.yml'));
  const s = stack.services[0];
  const c = await env.docker.createContainer({
    name: fixtureContainer(stack, s),
    Image: `${SPACETIME_IMAGE}:v2.4.9`,
    Env: [`PORT=${servicePort(s)}`],
    Labels: {
      'com.docker.compose.project': stack.project,
      'com.docker.compose.service': s.name,
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.project.working_dir': project,
      'com.docker.compose.project.config_files': `${compose},${project}/linked.yml`,
      'com.docker.compose.project.environment_file': outside,
    },
    HostConfig: { NetworkMode: 'host' },
  });
  try {
    await c.start();
    const acts = createHostActivities({ docker: env.docker, host: env.host, http: axios.create() });
    const pinned = env.pinned(stack);
    const mock = new MockActivityEnvironment();
    const out = await mock.run(acts.recordRelease, pinned, { reason: 'places', requestKey: 'places-1' });
    const recorded = out as ReleaseSummary;
    const store = new ReleaseStore(env.dataDir);
    const release = await store.get('places', recorded.id);
    expect(release.configFiles.map((f) => [f.source, f.mode])).toEqual([[compose, 0o640]]);

    // Changed since: the restore puts back the content and the recorded mode.
    writeFileSync(compose, 'services: {changed: {}}\n');
    chmodSync(compose, 0o666);
    await new MockActivityEnvironment().run(acts.restoreConfigFiles, pinned, recorded.id);
    expect(readFileSync(compose, 'utf8')).toBe('services: {}\n');
    expect(statSync(compose).mode & 0o777).toBe(0o640);

    // A release that names a file outside the project (a forged or stale record) restores nothing at all.
    writeFileSync(compose, 'services: {changed: {}}\n');
    const forged = {
      ...release,
      configFiles: [...release.configFiles, { ...release.configFiles[0], source: outside }],
    };
    writeFileSync(path.join(store.releaseDir('places', recorded.id), 'release.json'), JSON.stringify(forged));
    await expect(new MockActivityEnvironment().run(acts.restoreConfigFiles, pinned, recorded.id)).rejects.toMatchObject(
      { message: expect.stringContaining(`${outside} is outside the project's working directory`) },
    );
    expect(readFileSync(outside, 'utf8')).toBe('SECRET=host-file\n');
    expect(readFileSync(compose, 'utf8')).toBe('services: {changed: {}}\n');
  } finally {
    await removeFixtureStack(env.docker, stack);
  }
});
