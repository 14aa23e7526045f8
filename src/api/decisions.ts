/**
 * A person's decision, authenticated by the API (their one-time link or their personal token), sent on to the
 * procedure with the API's sealed proof: the workflow records it as theirs, with the channel it came by.
 */
import { type Client, type UpdateDefinition, WorkflowUpdateFailedError } from '@temporalio/client';
import { newNonce, sealPass } from '../codec/decision-passes';
import { mayAnswer, roleRequired } from '../domain/audiences';
import type { Person } from '../domain/people';
import type { Decision, DecisionInput, DecisionKind, PendingDecision } from '../domain/procedure-types';
import { holdSubject, type LiftedHold } from '../domain/owner';
import type { StackHold } from '../domain/ownership';
import { ownerWorkflowId } from '../domain/workflow-ids';
import {
  acknowledgeUpdate,
  approveUpdate,
  chooseReleaseUpdate,
  confirmStepUpdate,
  denyUpdate,
  liftHoldUpdate,
} from '../workflows/definitions';

export const DECISION_ACTIONS = ['approve', 'deny', 'choose', 'ack', 'confirm'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

const UPDATE_OF: Record<DecisionAction, UpdateDefinition<Decision, [DecisionInput]>> = {
  approve: approveUpdate,
  deny: denyUpdate,
  choose: chooseReleaseUpdate,
  ack: acknowledgeUpdate,
  confirm: confirmStepUpdate,
};

/** The answers each kind of question takes. */
export const ACTIONS_OF: Record<DecisionKind, readonly DecisionAction[]> = {
  approval: ['approve', 'deny'],
  'choose-release': ['choose'],
  ack: ['ack'],
  'confirm-step': ['confirm'],
};

/** A proof is good only while the update that carries it is being sent. */
const PROOF_SECONDS = 120;

/** Why the decision was not recorded: the workflow's or the API's words, for the person. */
export class DecisionRefused extends Error {}

/** Why `person` may not answer `question` now (undefined: they may), by the API's own config. */
export function refusalFor(people: readonly Person[], question: PendingDecision, person: string): string | undefined {
  if (roleRequired(people, question.waitingFor) && !mayAnswer(people, question.waitingFor, person))
    return `${person} does not hold the role "${question.waitingFor}" this question is for, so this cannot decide it. Nothing was recorded.`;
  if (question.approvedBy?.includes(person))
    return `${person} has approved already; the next approval must come from someone else. Nothing was recorded.`;
  return undefined;
}

export interface PersonDecision {
  workflowId: string;
  question: PendingDecision;
  person: string;
  via: 'link' | 'api';
  /** The link's nonce (so the link is good once); a fresh one for a personal token. */
  nonce?: string;
  action: DecisionAction;
  reason?: string;
  releaseId?: string;
}

export async function sendDecision(client: Client, key: string, d: PersonDecision, now: number): Promise<Decision> {
  if (!ACTIONS_OF[d.question.kind].includes(d.action))
    throw new DecisionRefused(`this question takes ${ACTIONS_OF[d.question.kind].join(' or ')}, not ${d.action}`);
  const proof = sealPass(key, 'proof', {
    workflowId: d.workflowId,
    questionId: d.question.id,
    person: d.person,
    nonce: d.nonce ?? newNonce(),
    expiresAt: now + PROOF_SECONDS * 1000,
    via: d.via,
    action: UPDATE_OF[d.action].name,
    ...(d.releaseId ? { releaseId: d.releaseId } : {}),
  });
  const input: DecisionInput = { by: d.person, proof };
  if (d.reason?.trim()) input.reason = d.reason.trim();
  if (d.releaseId) input.releaseId = d.releaseId;
  return refusedAsDecision(() =>
    client.workflow.getHandle(d.workflowId).executeUpdate(UPDATE_OF[d.action], { args: [input] }),
  );
}

/** A hold's lift by `person` for its audience, sent to the stack's owner with the API's proof. */
export async function sendLift(
  client: Client,
  key: string,
  d: { stack: string; hold: StackHold; person: string; reason: string },
  now: number,
): Promise<LiftedHold> {
  const workflowId = ownerWorkflowId(d.stack);
  const proof = sealPass(key, 'proof', {
    workflowId,
    questionId: holdSubject(d.hold),
    person: d.person,
    nonce: newNonce(),
    expiresAt: now + PROOF_SECONDS * 1000,
    via: 'api',
    action: liftHoldUpdate.name,
  });
  const input = { by: d.person, audience: d.hold.audience, reason: d.reason, proof };
  return refusedAsDecision(() =>
    client.workflow.getHandle(workflowId).executeUpdate(liftHoldUpdate, { args: [input] }),
  );
}

async function refusedAsDecision<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    // The workflow refused it (its validator or its proof check): nothing was recorded.
    if (err instanceof WorkflowUpdateFailedError)
      throw new DecisionRefused((err.cause as Error)?.message ?? err.message);
    throw err;
  }
}
