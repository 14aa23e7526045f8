/**
 * Runbook emergency "Security Breach Discovered": isolate (stop ingress and stack, optional firewall),
 * collect evidence with hashes, snapshot, and wait for the security team. No timeout ever restarts
 * services: only an approval deploys a clean release.
 */
import { workflowInfo } from '@temporalio/workflow';
import { combinedTick, releaseBackupTick, snapshotTick } from '../domain/checklist';
import type { ProcedureInput } from '../domain/procedure-types';
import { cleanReleases } from '../domain/release-rules';
import type { EvidenceBundle } from '../activities/evidence';
import { hostActivities, hostCommandActivities, longHostActivities, releaseRecorder } from './activities';
import { runOwned } from './steps/owned';
import { Procedure, requestKey } from './procedure-state';
import { announce, announceAndTick, openIncident } from './steps/announce';
import { completeRollback, RollbackResult } from './steps/finish-rollback';
import { restoreAndVerify } from './steps/restore-and-verify';
import { EscalatedResult, escalateAndFinish } from './steps/escalate';
import { targetRelease, restoreRelease } from './steps/restore-release';

/** The breach's people: the security team is reached through the escalation path's senior level. */
const SECURITY_ESCALATION_LEVEL = 2;
/** Who approves a clean release, and who alone lifts the hold a breach leaves. */
const SECURITY_TEAM = 'security team';

export type SecurityBreachResult =
  | (RollbackResult & { evidence: EvidenceBundle })
  | (EscalatedResult & { evidence: EvidenceBundle })
  | { status: 'isolated'; deniedBy: string; reason: string; evidence: EvidenceBundle };

export async function securityBreach(input: ProcedureInput): Promise<SecurityBreachResult> {
  const p: Procedure = new Procedure('security-breach', input.stack.name);
  return runOwned(p, input, { escalateFromLevel: SECURITY_ESCALATION_LEVEL }, () => securityBreachSteps(p, input));
}

async function securityBreachSteps(p: Procedure, input: ProcedureInput): Promise<SecurityBreachResult> {
  const { stack } = input;
  const em = stack.emergency;
  const docker = hostActivities(stack);
  const long = longHostActivities(stack, 3600);
  const sinceUnix = Math.floor(Date.now() / 1000);
  await openIncident(p, stack, input.reason);

  p.markChanged();
  // From isolation on, any end but a verified clean release leaves the stack held for the security team.
  p.hold = {
    reason: `security breach: ${input.reason}`,
    audience: SECURITY_TEAM,
    pageLevel: stack.escalation[SECURITY_ESCALATION_LEVEL - 1]?.name,
  };
  await p.step('ISOLATE: stop ingress and services', async () => {
    if (em.ingressContainer) await docker.stopContainers({ stack, of: 'ingress' }, stack.timeouts.stopGraceSeconds);
    await docker.stopContainers({ stack }, stack.timeouts.stopGraceSeconds);
  });
  if (em.firewallCommand) {
    await p.step('block external access (firewall)', () =>
      hostCommandActivities(stack, 60).runHostCommand(stack, 'firewallCommand', 60),
    );
  }
  await announceAndTick(p, 'Stakeholders notified', stack, 'started', `${input.reason}; ${stack.name} isolated`);

  const evidence = await p.step('collect evidence', () =>
    long.collectEvidence(stack, `${workflowInfo().workflowId}-evidence`, 10_000),
  );
  p.record('evidence', `${evidence.files.length} files in ${evidence.dir}`);
  const { snapshot, compromised } = await p.step('take system snapshot', async () => ({
    snapshot: await long.snapshotVolumes(stack, workflowInfo().workflowId),
    compromised: await releaseRecorder(stack).recordRelease(stack, {
      reason: `compromised state: ${input.reason}`,
      requestKey: requestKey('compromised'),
    }),
  }));
  // Not marked known-bad: a breach is of the host and the running containers, not of the images and config a
  // release recreates fresh; the security team names the release to deploy, defaulting to the newest clean one.
  if (compromised) p.record('compromised state recorded', `release ${compromised.id} (evidence)`);
  const backup = combinedTick(releaseBackupTick(compromised, stack), snapshotTick(snapshot, stack.volumes));
  p.tick('Backup of current state created', backup.state, backup.note);

  const candidates = cleanReleases(await docker.listReleases(stack), compromised ? [compromised.id] : []);
  await announce(stack, p, 'waiting', 'services stay down until the security team approves a clean release');
  // The approval names the exact release it lets start: the default is spelled out in the question.
  const question = candidates[0]
    ? `Approve deploying clean release ${candidates[0].id} (or name another of the options); deny to keep the stack isolated`
    : 'Approve deploying a clean release (optionally name it); deny to keep the stack isolated';
  const d = await p.ask('approval', question, SECURITY_TEAM, {
    releases: candidates,
    approvals: stack.decisions.twoPeople.includes('breach approval') ? 2 : 1,
  });
  if (!d.approved) {
    p.finish('completed', `kept isolated: denied by ${d.by}`);
    return { status: 'isolated', deniedBy: d.by, reason: d.reason, evidence };
  }
  const targetId = d.releaseId ?? candidates[0]?.id;
  if (!targetId) p.fail('approved, but no known-good release exists to deploy', 'NoRelease');
  const release = await targetRelease(p, stack, targetId);
  p.setReleases(compromised?.id, targetId);
  p.tick('Rollback version identified', 'done', `${targetId}, approved by ${d.by}`);
  // No other release may start after a breach: a failed approved release isolates the stack again and
  // goes back to people, instead of handing over to rollback-failed (which tries older releases).
  const approvedReleaseFailed = async (why: string): Promise<SecurityBreachResult> => {
    p.tick('No errors during rollback', 'failed', why);
    await p.step('ISOLATE again: stop services', () =>
      docker.stopContainers({ stack }, stack.timeouts.stopGraceSeconds),
    );
    const message = `${why}; ${stack.name} isolated again, no other release started: the security team must approve another`;
    return { ...(await escalateAndFinish(p, stack, SECURITY_ESCALATION_LEVEL, message)), evidence };
  };
  return restoreAndVerify<SecurityBreachResult>(p, input, {
    sinceUnix,
    restore: () => restoreRelease(p, stack, release),
    restoreFailed: (error) => `approved release ${targetId} did not come up: ${error}`,
    verificationFailed: (failure) => `approved release ${targetId}: ${failure}`,
    fail: approvedReleaseFailed,
    complete: async (verification) => {
      if (em.ingressContainer) await docker.startContainers({ stack, of: 'ingress' });
      p.hold = undefined;
      return { ...(await completeRollback(p, input, verification, { to: targetId }, sinceUnix)), evidence };
    },
  });
}
