/**
 * One path for every way an owned procedure ends (after the saga sample's single compensation path):
 * completed; stopped (abort, preemption, Web UI cancel: the step is interrupted, the state reported,
 * nothing marked, no follow-up); failed before anything changed ("nothing was changed"); failed after
 * the stack changed (handed over to rollback-failed, or escalated to people). Each end is reported to
 * the stack owner, which frees the stack or hands it to the follow-up with no gap.
 */
import {
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  workflowInfo,
} from '@temporalio/workflow';
import { isOwnedProcedure } from '../../domain/ownership';
import type { HoldRequest, ProcedureEnd, ProcedureInput } from '../../domain/procedure-types';
import { ownerWorkflowId } from '../../domain/workflow-ids';
import type { IncidentReport } from '../../domain/incident';
import { hostActivities, orchestration, ownerChecks } from '../activities';
import { procedureEndedSignal } from '../definitions';
import type { Procedure } from '../procedure-state';
import { announce } from './announce';
import { escalate } from './escalate';
import { rollbackFailedHandOver } from './finish-rollback';
import { messageOf } from './messages';

/** What a failure after the stack changed leads to: the rollback-failed procedure, or people (the escalation path). */
export type OnFailureAfterChange = { handOver: 'rollback-failed' } | { escalateFromLevel: number };

export async function runOwned<R>(
  p: Procedure,
  input: ProcedureInput,
  onFailure: OnFailureAfterChange,
  body: () => Promise<R>,
): Promise<R> {
  const ownerId = ownerWorkflowId(input.stack.name);
  const { workflowId } = workflowInfo();
  if (workflowInfo().parent?.workflowId !== ownerId) {
    p.fail(
      `${p.state.procedure} runs only as a child of the stack owner ${ownerId} (use the lifeline CLI or API); nothing was changed`,
      'NotOwner',
    );
  }
  // The stack's people hear every question this procedure asks.
  p.reachPeopleOf(input.stack);
  let end: ProcedureEnd = { workflowId, status: 'failed' };
  // Whatever the end, a stack left contained stays held: the end report and the failure both say so.
  const withHold = (e: ProcedureEnd): ProcedureEnd => (p.hold ? { ...e, hold: p.hold } : e);
  try {
    const result = await p.scope.run(body);
    end = { workflowId, status: 'completed' };
    return result;
  } catch (err) {
    if (p.stopReason || isCancellation(err) || CancellationScope.current().consideredCancelled) {
      end = await CancellationScope.nonCancellable(() => wrapUpStopped(p, input));
      if (!p.stopReason) throw err; // a cancel: the workflow ends Cancelled
      throw ApplicationFailure.create({
        message: end.detail,
        type: p.stopReason.kind === 'aborted' ? 'Aborted' : 'Preempted',
        nonRetryable: true,
        details: [withHold(end)],
      });
    }
    const why = messageOf(err);
    const type = (err instanceof ApplicationFailure && err.type) || 'ProcedureFailed';
    if (!p.stackChanged) {
      const detail = /nothing was changed/.test(why) ? why : `${why}; nothing was changed`;
      end = { workflowId, status: 'failed', detail };
    } else if (p.followUp) {
      end = { workflowId, status: 'failed', detail: why, followUp: p.followUp };
    } else if ('handOver' in onFailure) {
      const followUp = rollbackFailedHandOver(p, input, `${p.state.procedure} failed after changing the stack: ${why}`);
      end = {
        workflowId,
        status: 'failed',
        detail: `${why}; emergency procedure ${followUp.workflowId} takes over`,
        followUp,
      };
      await announce(input.stack, p, 'failed', end.detail!);
    } else {
      const ack = await escalateAfterFailure(p, input, onFailure.escalateFromLevel, why);
      end = { workflowId, status: 'failed', detail: `${why}; escalated, taken by ${ack}` };
    }
    if (p.state.status !== 'failed') p.finish('failed', end.detail);
    throw ApplicationFailure.create({ message: end.detail, type, nonRetryable: true, details: [withHold(end)] });
  } finally {
    end = withHold(end);
    await CancellationScope.nonCancellable(async () => {
      await p.endPages();
      if (!p.reportFollows && p.state.procedure !== 'backup') await writeEndReport(p, input, end);
      // Recorded by the procedure too: an owner that is gone (terminated) misses the report, not the hold.
      if (end.hold) await recordHold(p, input, end.hold);
      await reportEnd(ownerId, end);
    });
  }
}

/**
 * Every outcome but a verified rollback (whose post-rollback actions write it) leaves an incident report:
 * failed, escalated, aborted, preempted, isolated. Best effort: the stack is freed even if it cannot be written.
 */
async function writeEndReport(p: Procedure, input: ProcedureInput, end: ProcedureEnd): Promise<void> {
  const detail = end.detail ?? p.state.timeline.at(-1)?.detail;
  const report: IncidentReport = {
    workflowId: end.workflowId,
    stack: input.stack.name,
    procedure: p.state.procedure,
    trigger: input.trigger,
    requestedBy: input.requestedBy,
    reason: input.reason,
    outcome: `${p.state.status}${detail ? `: ${detail}` : ''}`,
    fromRelease: p.state.fromRelease,
    toRelease: p.state.toRelease,
    timeline: p.state.timeline,
    checklist: p.state.checklist,
    decisions: p.state.decisions,
    errorLines: p.errorLines,
    hold: end.hold,
  };
  try {
    // Not in the timeline: its last entry stays the outcome. The path is <dataDir>/incidents/<stack>/<workflow>.md.
    const file = await orchestration.writeIncidentReport(input.stack, report);
    log.info('incident report written', { file });
  } catch (err) {
    log.warn('could not write the incident report', { error: messageOf(err) });
  }
}

/** After a stop: which containers run which release, announced and recorded; nothing is marked. */
async function wrapUpStopped(p: Procedure, input: ProcedureInput): Promise<ProcedureEnd> {
  const stop = p.stopReason;
  const status = stop?.kind ?? 'cancelled';
  const who = stop
    ? stop.kind === 'aborted'
      ? `aborted by ${stop.by}: ${stop.reason}`
      : `preempted by ${stop.by} (${stop.procedure})`
    : 'cancelled';
  let state: string;
  try {
    const services = await hostActivities(input.stack).inspectStack(input.stack);
    state = services
      .map(
        (s) =>
          `${s.service}: ${s.exists ? `${s.image ?? '?'}${s.release ? ` (release ${s.release})` : ''} ${s.status}/${s.health}` : 'no container'}`,
      )
      .join('; ');
  } catch (err) {
    state = `unknown (${messageOf(err)})`;
  }
  // What ran: a destructive step in progress was let finish, never cut short, so nothing needed putting back.
  const ran = p.stackChanged
    ? `; it had changed the stack (from ${p.state.fromRelease ?? 'the running state'} to ${p.state.toRelease ?? 'its target'}), its last step let finish`
    : '; nothing was changed';
  const detail = `${who} at "${p.state.step}"${ran}. Containers now: ${state}`;
  // Announced first: a notice that fails is recorded before the outcome, which stays the timeline's last entry.
  await announce(input.stack, p, status, detail);
  p.finish(status, detail);
  return { workflowId: workflowInfo().workflowId, status, detail };
}

/** A failure after the stack changed, in a procedure that has no follow-up procedure: people take it. */
async function escalateAfterFailure(
  p: Procedure,
  input: ProcedureInput,
  fromLevel: number,
  why: string,
): Promise<string> {
  p.record('failed after changing the stack', why);
  const scope = new CancellationScope();
  p.scope = scope; // an abort now ends the wait for an acknowledgement
  const ack = await scope.run(() =>
    escalate(
      p,
      input.stack,
      fromLevel,
      `${p.state.procedure} of ${input.stack.name} failed after changing the stack: ${why}`,
    ),
  );
  return `${ack.by} (${ack.level})`;
}

async function recordHold(p: Procedure, input: ProcedureInput, hold: HoldRequest): Promise<void> {
  const procedure = p.state.procedure;
  if (!isOwnedProcedure(procedure)) return;
  const { workflowId } = workflowInfo();
  try {
    await ownerChecks.recordHold(input.stack, { ...hold, procedure, workflowId, since: new Date().toISOString() });
  } catch (err) {
    p.record('hold not recorded on disk', messageOf(err));
  }
}

async function reportEnd(ownerId: string, end: ProcedureEnd): Promise<void> {
  try {
    await getExternalWorkflowHandle(ownerId).signal(procedureEndedSignal, end);
  } catch (err) {
    log.warn('could not report the end to the stack owner', { ownerId, error: String(err) });
  }
}

/** Inside a procedure's catch block: a stop (abort, preemption, cancel) is not a failure to handle. */
export function rethrowIfStopped(p: Procedure, err: unknown): void {
  if (p.stopReason || isCancellation(err) || CancellationScope.current().consideredCancelled) throw err;
}
