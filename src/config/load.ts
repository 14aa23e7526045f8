/** Reads and validates the YAML config file; relative paths in it are resolved against the file's folder. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configSchema, describeConfigIssues, LifelineConfig } from '../domain/config';
import { ConfigError } from './config-error';
import { twoPersonShortfalls, unreachableAudiences } from '../domain/people';
import { ingressProblems } from '../domain/ingress';
import { readEnv } from './env';

export const DEFAULT_CONFIG_FILE = 'lifeline.yaml';

export function configFilePath(explicit?: string): string {
  return path.resolve(explicit ?? readEnv().LIFELINE_CONFIG ?? DEFAULT_CONFIG_FILE);
}

export function loadConfig(file = configFilePath()): LifelineConfig {
  return parseConfig(file, readConfigText(file));
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config ${file}: ${(err as Error).message}`);
  }
}

function parseConfig(file: string, text: string): LifelineConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`invalid config ${file}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeConfigIssues(file, parsed.error));
  const unreached = unreachableAudiences(parsed.data.people, parsed.data.escalation.levels);
  if (unreached.length)
    throw new ConfigError(
      `invalid config ${file}:\n${unreached.map((a) => `  people: nobody has the role "${a}" (and no escalation level of that name has contacts): a question for it would reach no one`).join('\n')}`,
    );
  const misfits = Object.entries(parsed.data.stacks).flatMap(([name, s]) =>
    ingressProblems(s.ingress, s.services).map((m) => `  stacks.${name}.${m}`),
  );
  if (misfits.length) throw new ConfigError(`invalid config ${file}:\n${misfits.join('\n')}`);
  const alone = twoPersonShortfalls(parsed.data.people, parsed.data.decisions.twoPeople);
  if (alone.length)
    throw new ConfigError(`invalid config ${file}:\n${alone.map((m) => `  decisions.twoPeople: ${m}`).join('\n')}`);
  const base = path.dirname(file);
  const config = parsed.data;
  config.dataDir = path.resolve(base, readEnv().LIFELINE_DATA_DIR ?? config.dataDir);
  for (const stack of Object.values(config.stacks)) {
    stack.configFiles = stack.configFiles.map((f) => path.resolve(base, f));
  }
  return config;
}

/**
 * The config as the file says now: parsed again whenever its text changed (a new procedure uses the
 * current file), else the copy already parsed. A file that became invalid is an error, never a silent fall-back.
 */
export function currentConfig(file = configFilePath()): () => LifelineConfig {
  let seen: { text: string; config: LifelineConfig } | undefined;
  return () => {
    const text = readConfigText(file);
    if (seen?.text !== text) seen = { text, config: parseConfig(file, text) };
    return seen.config;
  };
}
