/**
 * Jest global setup: checks the real Docker engine, starts a real Temporal dev server, builds the fixture
 * images and the workflow bundle once. Missing prerequisites fail the run with a message saying how to fix them.
 */
import Docker from 'dockerode';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildFixtureImages } from '../../src/fixtures/images';
import { bundleWorkflows } from '../../src/worker/workers';
import { spawnDevServer, waitForTemporal } from './dev-server';
import { ensureCodecKeyFile } from '../../src/codec/keys';
import { BUNDLE_FILE, CODEC_KEYS_FILE, HarnessState, STATE_FILE, TEMPORAL_BIN, TEST_DIR } from './paths';

const PORT = 17233;
const UI_PORT = 18233;

export default async function globalSetup(): Promise<void> {
  // A server on the port belongs to another run (or one left by an interrupted run): its files are not ours to delete.
  if (
    !process.env.LIFELINE_TEST_TEMPORAL_ADDRESS &&
    (await waitForTemporal(`127.0.0.1:${PORT}`, 1000).then(
      () => true,
      () => false,
    ))
  ) {
    throw new Error(
      `a Temporal server already answers on 127.0.0.1:${PORT} (another test run, or one left by an interrupted run); stop it: pkill -f 'start-dev --ip 127.0.0.1 --port ${PORT}'`,
    );
  }
  rmSync(TEST_DIR, { recursive: true, force: true });
  mkdirSync(TEST_DIR, { recursive: true });
  ensureCodecKeyFile(CODEC_KEYS_FILE);
  // The fast tier (jest.fast.config.js) needs only the server and the bundle.
  const fast = process.env.LIFELINE_TEST_FAST === '1';
  const docker = new Docker();
  if (!fast) await prepareDocker(docker);
  let state: HarnessState;
  if (process.env.LIFELINE_TEST_TEMPORAL_ADDRESS) {
    state = { address: process.env.LIFELINE_TEST_TEMPORAL_ADDRESS, dbFile: '', uiPort: 8233 };
  } else {
    if (!existsSync(TEMPORAL_BIN)) {
      throw new Error(
        `No temporal binary at ${TEMPORAL_BIN}.\nRun \`npm test\` (it builds one) or \`bash scripts/provision-temporal.sh\`.`,
      );
    }
    const dbFile = path.join(TEST_DIR, 'temporal.db');
    const child = spawnDevServer({ port: PORT, uiPort: UI_PORT, dbFile, logFile: path.join(TEST_DIR, 'temporal.log') });
    state = { address: `127.0.0.1:${PORT}`, pid: child.pid, dbFile, uiPort: UI_PORT };
    await waitForTemporal(state.address, 60_000);
  }
  writeFileSync(STATE_FILE, JSON.stringify(state));
  if (!fast) await buildFixtureImages(docker);
  const code = await bundleWorkflows();
  writeFileSync(BUNDLE_FILE, code);
}

/** The real engine must answer; containers an interrupted earlier run left would hold ports and join compose projects. */
async function prepareDocker(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(
      `No Docker engine answers (${(err as Error).message}).\n` +
        'Run the tests with `npm test`, which starts one as root, or start it yourself:\n' +
        '  sudo dockerd --bridge=none --iptables=false --ip6tables=false &',
    );
  }
  const leftovers = await docker.listContainers({ all: true, filters: { label: ['lifeline.fixture-hash'] } });
  await Promise.all(
    leftovers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}
