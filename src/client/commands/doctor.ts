/**
 * `lifeline doctor`: the config against the runbook's needs and the running world (the Temporal connection, the
 * payload key, the Docker engine, each stack's containers by their labels, its health URLs, every channel
 * people are reached on), each problem with its fix. Exit 0 when sound, 1 with warnings, 2 with errors.
 */
import type { Command } from 'commander';
import axios from 'axios';
import Docker from 'dockerode';
import { connect } from 'node:net';
import { createDockerActivities } from '../../activities/docker';
import { loadCodecKeys } from '../../codec/keys';
import { resolveStack } from '../../domain/config';
import { configFindings, doctorExitCode, Finding } from '../../domain/doctor';
import type { CommandContext } from '../context';
import { run } from './run';

/** Whether a TCP connection to the URL's host and port opens: reachable, without posting anything to it. */
function connects(url: string): Promise<true | string> {
  const u = new URL(url);
  const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port, timeout: 3000 });
    const done = (r: true | string) => {
      socket.destroy();
      resolve(r);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done('no answer in 3 s'));
    socket.once('error', (err) => done(err.message));
  });
}

/** Every place a notice or a question goes: notification targets, level contacts, people's channels. */
function channelsOf(c: CommandContext): { where: string; url: string; keyEnv?: string }[] {
  const { notifications, escalation, people } = c.config;
  return [
    ...notifications.map((t, i) => ({ where: `notifications[${i}]`, url: t.url })),
    ...escalation.levels.flatMap((l) =>
      l.contacts.map((t, i) => ({ where: `escalation.levels.${l.name}.contacts[${i}]`, url: t.url })),
    ),
    ...people.flatMap((p) =>
      p.channels.map((ch, i) => ({
        where: `people.${p.name}.channels[${i}]`,
        url: ch.url,
        keyEnv: ch.kind === 'pagerduty' ? ch.routingKeyEnv : undefined,
      })),
    ),
  ];
}

async function worldFindings(c: CommandContext): Promise<Finding[]> {
  const found: Finding[] = [];
  const error = (where: string, problem: string, fix: string) => found.push({ level: 'error', where, problem, fix });
  const warn = (where: string, problem: string, fix: string) => found.push({ level: 'warning', where, problem, fix });
  const channels = channelsOf(c);
  const answers = await Promise.all(channels.map((ch) => connects(ch.url)));
  channels.forEach((ch, i) => {
    if (answers[i] !== true)
      warn(ch.where, `cannot reach ${ch.url}: ${answers[i]}`, 'check the URL, and that this host may connect to it');
    if (ch.keyEnv && !process.env[ch.keyEnv])
      warn(
        ch.where,
        `${ch.keyEnv} is not set here, so pages to it carry no routing key`,
        `set ${ch.keyEnv} in the worker's environment (and here, to check it)`,
      );
  });
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
