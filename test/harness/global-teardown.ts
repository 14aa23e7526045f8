import { existsSync, readFileSync } from 'node:fs';
import { HarnessState, STATE_FILE } from './paths';
import { STALL_FILE } from './stall-report';

export default async function globalTeardown(): Promise<void> {
  // Last in the output, where a CI excerpt of its end shows it.
  if (existsSync(STALL_FILE))
    process.stdout.write(`\nStalls seen during this run:\n${readFileSync(STALL_FILE, 'utf8').slice(-20_000)}\n`);
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as HarnessState;
  if (state.pid) {
    try {
      process.kill(state.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
