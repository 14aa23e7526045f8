/**
 * Runbook emergency "Security Breach Discovered": isolate (stop ingress and stack, optional firewall),
 * collect evidence with hashes, snapshot, and wait for the security team. No timeout ever restarts
 * services: only an approval deploys a clean release.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { ProcedureInput } from '../domain/procedure';
import { rollbackCandidates } from '../domain/release';
import type { EvidenceBundle } from '../activities/evidence';
import { hostActivities, hostCommandActivities, longHostActivities, releaseRecorder } from './activities';
import { runOwned, rethrowIfStopped } from './steps/owned';
import { Procedure, requestKey } from './procedure';
import { announce } from './steps/announce';
import { completeRollback, escalateFailedRollback, messageOf, RollbackResult, verificationFailure, verify } from './steps/finish-rollback';
import { requireImages, restoreRelease } from './steps/restore-release';

/** The breach's people: the security team is reached through the escalation path's senior level. */
const SECURITY_ESCALATION_LEVEL = 2;

export type SecurityBreachResult =
  | (RollbackResult & { evidence: EvidenceBundle })
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
  p.tick('Incident logged', 'done', input.reason);

  p.markChanged();
  await p.step('ISOLATE: stop ingress and services', async () => {
    if (em.ingressContainer) await docker.stopContainers([em.ingressContainer], stack.timeouts.stopGraceSeconds);
    await docker.stopContainers({ stack }, stack.timeouts.stopGraceSeconds);
  });
  if (em.firewallCommand) {
    await p.step('block external access (firewall)', () => hostCommandActivities(stack, 60).runHostCommand(stack.name, 'firewallCommand', 60));
  }
  await announce(stack, p.state.procedure, 'started', `${input.reason}; ${stack.name} isolated`);
  p.tick('Stakeholders notified');

  const evidence = await p.step('collect evidence', () => long.collectEvidence(stack, `${workflowInfo().workflowId}-evidence`, 10_000));
  p.record('evidence', `${evidence.files.length} files in ${evidence.dir}`);
  const compromised = await p.step('take system snapshot', async () => {
    await long.snapshotVolumes(stack.dataDir, stack.name, workflowInfo().workflowId, stack.volumes);
    return releaseRecorder(stack).recordRelease(stack, { reason: `compromised state: ${input.reason}`, requestKey: requestKey('compromised') });
  });
  if (compromised) await docker.markRelease(stack.dataDir, stack.name, compromised.id, { knownBad: `security breach: ${input.reason}` });
  p.tick('Backup of current state created', compromised ? 'done' : 'skipped', compromised?.id);

  const candidates = rollbackCandidates(await docker.listReleases(stack.dataDir, stack.name)).filter((r) => r.knownGood);
  await announce(stack, p.state.procedure, 'waiting', 'services stay down until the security team approves a clean release');
  const d = await p.ask('approval', 'Approve deploying a clean release (optionally name it); deny to keep the stack isolated', 'security team', {
    options: candidates.map((c) => c.id),
  });
  if (!d.approved) {
    p.finish('completed', `kept isolated: denied by ${d.by}`);
    return { status: 'isolated', deniedBy: d.by, reason: d.reason, evidence };
  }
  const targetId = d.releaseId ?? candidates[0]?.id;
  if (!targetId) p.fail('approved, but no known-good release exists to deploy', 'NoRelease');
  const release = await docker.getRelease(stack.dataDir, stack.name, targetId);
  await requireImages(p, stack, release.services);
  p.setReleases(compromised?.id, targetId);
  p.tick('Rollback version identified', 'done', `${targetId}, approved by ${d.by}`);
  try {
    await restoreRelease(p, stack, release);
  } catch (err) {
    rethrowIfStopped(p, err);
    return escalateFailedRollback(p, input, `clean release ${targetId} did not come up: ${messageOf(err)}`, [targetId]);
  }
  p.tick('No errors during rollback');
  const verification = await verify(p, input, sinceUnix);
  if (!verification.passed) return escalateFailedRollback(p, input, verificationFailure(verification), [targetId]);
  if (em.ingressContainer) await docker.startContainers([em.ingressContainer]);
  return { ...(await completeRollback(p, input, verification, { to: targetId }, sinceUnix)), evidence };
}
