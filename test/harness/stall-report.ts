/**
 * When a test or its cleanup stalls, says why while it still can: whether the Docker engine and the Temporal
 * server answer, dockerd's goroutines (SIGUSR1 dump) when the engine does not, and the tails of both logs.
 * Written to stderr at once and to a file that the global teardown prints last, where CI's excerpt shows it.
 */
import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { waitForTemporal } from './dev-server';
import { harnessState, ROOT, TEST_DIR } from './paths';

export const STALL_FILE = path.join(TEST_DIR, 'stalls.log');
const DUMP_DIR = '/var/run/docker';

const tail = (file: string, lines: number) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : `(no ${file})`;

async function engineAnswers(): Promise<string | undefined> {
  try {
    await new Docker({ timeout: 10_000 }).ping();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function dockerdGoroutines(): string {
  try {
    const before = Date.now();
    execFileSync('pkill', ['-USR1', '-x', 'dockerd']);
    execFileSync('sleep', ['2']);
    const dumps = readdirSync(DUMP_DIR)
      .filter((f) => f.startsWith('goroutine-stacks-'))
      .map((f) => path.join(DUMP_DIR, f))
      .filter((f) => statSync(f).mtimeMs >= before - 1000);
    return dumps.length
      ? readFileSync(dumps[dumps.length - 1], 'utf8').slice(0, 60_000)
      : '(no goroutine dump written)';
  } catch (err) {
    return `(no goroutine dump: ${(err as Error).message})`;
  }
}

async function report(what: string): Promise<void> {
  const engine = await engineAnswers();
  const temporal = await waitForTemporal(harnessState().address, 5000).then(
    () => 'answers',
    (err: Error) => `does not answer: ${err.message}`,
  );
  const text = [
    `==== stalled: ${what} (${new Date().toISOString()})`,
    `Docker engine: ${engine ? `does not answer a ping in 10 s: ${engine}` : 'answers'}; Temporal server: ${temporal}`,
    ...(engine ? ['-- dockerd goroutines', dockerdGoroutines()] : []),
    '-- dockerd log (last 40 lines)',
    tail(path.join(ROOT, '.data/dockerd.log'), 40),
    '-- Temporal server log (last 20 lines)',
    tail(path.join(TEST_DIR, 'temporal.log'), 20),
    '',
  ].join('\n');
  process.stderr.write(text);
  appendFileSync(STALL_FILE, text);
}

/** Reports once if `disarm` is not called within `ms`. */
export function reportStallAfter(ms: number, what: string): () => void {
  const timer = setTimeout(() => void report(what).catch(() => undefined), ms);
  timer.unref();
  return () => clearTimeout(timer);
}
