import Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { HarnessState, STATE_FILE } from './paths';
import { STALL_FILE } from './stall-report';

export default async function globalTeardown(): Promise<void> {
  // Last in the output, where a CI excerpt of its end shows it.
  if (existsSync(STALL_FILE))
    process.stdout.write(`\nStalls seen during this run:\n${readFileSync(STALL_FILE, 'utf8').slice(-20_000)}\n`);
  if (process.env.LIFELINE_TEST_FAST !== '1') await removeLeftContainers();
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as HarnessState;
  if (!state.pid) return;
  try {
    process.kill(state.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  // `npm test` starts a second pass on the same port right after: wait until this server has let go of it.
  for (let i = 0; i < 100 && alive(state.pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(state.pid)) process.kill(state.pid, 'SIGKILL');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every test removes what it made; a container made from a fixture image still here is named, then removed. */
async function removeLeftContainers(): Promise<void> {
  const docker = new Docker();
  const left = await docker
    .listContainers({ all: true, filters: { label: ['lifeline.fixture-hash'] } })
    .catch(() => []);
  if (!left.length) return;
  process.stdout.write(
    `\nContainers left behind by the tests (removed now): ${left.map((c) => c.Names[0]).join(', ')}\n`,
  );
  await Promise.all(
    left.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}
