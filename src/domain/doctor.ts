/**
 * `lifeline doctor`'s rules on the config alone: what the runbook needs that the config does not give it.
 * Each finding names where, what is wrong and the fix. The checks of the running world are in the command.
 */
import type { LifelineConfig } from './config';
import { peopleIn } from './audiences';

export interface Finding {
  level: 'error' | 'warning';
  where: string;
  problem: string;
  fix: string;
}

export function configFindings(config: LifelineConfig): Finding[] {
  const found: Finding[] = [];
  const warn = (where: string, problem: string, fix: string) => found.push({ level: 'warning', where, problem, fix });
  if (config.notifications.length === 0 && config.people.length === 0)
    warn(
      'notifications',
      'nobody is told when a procedure starts or ends (runbook: Notify stakeholders)',
      'add a Slack or webhook target under notifications, or people with channels',
    );
  for (const level of config.escalation.levels)
    if (level.contacts.length === 0 && peopleIn(config.people, level.name).length === 0)
      warn(
        `escalation.levels.${level.name}`,
        `the "${level.name}" level reaches nobody: an escalation to it is silent`,
        `give the level contacts, or a person the role "${level.name}"`,
      );
  for (const [name, s] of Object.entries(config.stacks)) {
    const at = `stacks.${name}`;
    if (s.volumes.length === 0 || !s.backupVolumes)
      warn(
        `${at}.volumes`,
        'data corruption has no volume backup to restore (runbook: Data Corruption)',
        'list the stack volumes under volumes and set backupVolumes: true',
      );
    if (!s.integrityCheck)
      warn(
        `${at}.integrityCheck`,
        'data corruption cannot verify a restore',
        'add integrityCheck (an http URL or an exec command that exits 0 on sound data)',
      );
    if (!s.emergency.firewallCommand)
      warn(
        `${at}.emergency.firewallCommand`,
        'a security breach cannot block traffic (runbook: Security Breach, isolate)',
        'set emergency.firewallCommand to the command that blocks inbound traffic',
      );
    for (const [service, v] of Object.entries(s.services))
      if (!v.healthUrl)
        warn(
          `${at}.services.${service}.healthUrl`,
          'health is only what Docker reports, and only at its check interval',
          "set healthUrl to the service's health endpoint on 127.0.0.1",
        );
  }
  return found;
}

/** 0: sound; 1: warnings; 2: errors. */
export const doctorExitCode = (findings: readonly Finding[]): 0 | 1 | 2 =>
  findings.some((f) => f.level === 'error') ? 2 : findings.length ? 1 : 0;
