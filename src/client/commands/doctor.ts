/**
 * `lifeline doctor`: the config against the runbook's needs and the running world (the Temporal connection, the
 * payload key, the Docker engine, each stack's containers by their labels, its health URLs), each problem with
 * its fix. Exit 0 when sound, 1 with warnings, 2 with errors.
 */
import type { Command } from 'commander';
import axios from 'axios';
import Docker from 'dockerode';
import { createDockerActivities } from '../../activities/docker';
import { loadCodecKeys } from '../../codec/keys';
import { resolveStack } from '../../domain/config';
import { configFindings, doctorExitCode, Finding } from '../../domain/doctor';
import type { CommandContext } from '../context';
import { run } from './run';

async function worldFindings(c: CommandContext): Promise<Finding[]> {
  const found: Finding[] = [];
  const error = (where: string, problem: string, fix: string) => found.push({ level: 'error', where, problem, fix });
  const warn = (where: string, problem: string, fix: string) => found.push({ level: 'warning', where, problem, fix });
  try {
    loadCodecKeys(c.config.dataDir);
  } catch (err) {
    error(
      'payload key',
      (err as Error).message,
      'set LIFELINE_CODEC_KEY, or start Lifeline once to generate <dataDir>/codec-keys',
    );
  }
  try {
    await (await c.client()).workflowService.getSystemInfo({});
  } catch (err) {
    error(
      'Temporal',
      `cannot reach Temporal: ${(err as Error).message}`,
      'start it (npm start) or set TEMPORAL_ADDRESS',
    );
  }
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    error('Docker', `cannot reach the Docker engine: ${(err as Error).message}`, 'start dockerd, or set DOCKER_HOST');
    return found;
  }
  const engine = createDockerActivities(docker);
  for (const name of Object.keys(c.config.stacks)) {
    const stack = resolveStack(c.config, name);
    for (const { service, container } of await engine.serviceContainers(stack))
      if (!container)
        warn(
          `stacks.${name}.services.${service}`,
          `no container of ${service} on this engine (compose project ${stack.project})`,
          'deploy the stack, or set project (or the service container name) to what runs',
        );
    for (const s of stack.services) {
      if (!s.healthUrl) continue;
      const status = await axios.get(s.healthUrl, { timeout: 3000, validateStatus: () => true }).then(
        (r) => r.status,
        (err: Error) => err.message,
      );
      if (status !== 200)
        warn(
          `stacks.${name}.services.${s.name}.healthUrl`,
          `${s.healthUrl} answers ${status}`,
          'fix the service or the URL',
        );
    }
  }
  return found;
}

export function registerDoctor(program: Command, ctx: () => CommandContext): void {
  program
    .command('doctor')
    .description(
      "check the config against the runbook's needs and the running engine, with fixes (exit 0, 1 warnings, 2 errors)",
    )
    .action(async () => {
      let code: 0 | 1 | 2 = 0;
      await run(
        ctx(),
        async (c) => {
          const findings = [...configFindings(c.config), ...(await worldFindings(c))];
          code = doctorExitCode(findings);
          return { sound: findings.length === 0, findings };
        },
        ({ findings }) =>
          findings.length
            ? findings.map((f) => `${f.level}: ${f.where}: ${f.problem}\n  fix: ${f.fix}`).join('\n')
            : 'sound: the config gives every procedure what it needs, and everything it names answers',
      );
      if (process.exitCode === 0) process.exitCode = code;
    });
}
