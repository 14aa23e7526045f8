/** Secrets come from the environment or from files (NAME or NAME_FILE), never from the config file. */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function readSecret(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env[`${name}_FILE`];
  if (file) {
    const value = readFileSync(file, 'utf8').trim();
    if (!value) throw new Error(`${name}_FILE (${file}) is empty`);
    return value;
  }
  const value = env[name]?.trim();
  return value || undefined;
}

/** The API token: from the environment, else one generated once into <dataDir>/api-token (mode 600). */
export const apiToken = (dataDir: string, env: NodeJS.ProcessEnv = process.env) =>
  secretOrGenerated('LIFELINE_API_TOKEN', dataDir, 'api-token', env);

/**
 * The key decision links and proofs are sealed with (LIFELINE_DECISION_KEY): the API's and the orchestration
 * worker's alone, never a client's. Without it, one is generated once into <dataDir>/decision-key.
 */
export const decisionKey = (dataDir: string, env: NodeJS.ProcessEnv = process.env) =>
  secretOrGenerated('LIFELINE_DECISION_KEY', dataDir, 'decision-key', env).token;

/** The secret NAME (or NAME_FILE); else one generated once into <dataDir>/<fileName> (mode 600). */
function secretOrGenerated(
  name: string,
  dataDir: string,
  fileName: string,
  env: NodeJS.ProcessEnv,
): { token: string; source: string } {
  const fromEnv = readSecret(name, env);
  if (fromEnv) return { token: fromEnv, source: env[`${name}_FILE`] ? env[`${name}_FILE`]! : name };
  const file = path.join(dataDir, fileName);
  if (!existsSync(file)) {
    // Written whole under a temporary name, then linked into place: a reader never sees a partial token,
    // and of two processes starting together, the first link wins and both use it.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  chmodSync(file, 0o600);
  return { token: readFileSync(file, 'utf8').trim(), source: file };
}
