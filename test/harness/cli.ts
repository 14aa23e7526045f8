/** Runs the real `lifeline` binary (built dist) as an operator would. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CODEC_ENV, ROOT } from './paths';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function lifeline(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/lifeline'), ...args], {
      env: { ...process.env, NO_COLOR: '1', ...CODEC_ENV, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Runs `lifeline` on a pseudo-terminal (util-linux `script`), typing `input`: stdout and stderr arrive merged. */
export function lifelineOnTty(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<CliResult> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, path.join(ROOT, 'bin/lifeline'), ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '1', ...CODEC_ENV, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
    // Type each answer once its prompt is on the screen, as a person would.
    const answers = input.split('\n').filter(Boolean);
    const prompts = [/Enter backup number/, /\(yes\/no\)/];
    let typed = 0;
    let seen = 0;
    child.stdout.on('data', () => {
      if (typed < answers.length && prompts[Math.min(typed, prompts.length - 1)].test(stdout.slice(seen))) {
        seen = stdout.length;
        child.stdin.write(`${answers[typed++]}\n`);
      }
    });
  });
}
