/**
 * Replay fixtures (`npm run fixtures:record`): tests save the histories they produce, as binary protobuf,
 * under LIFELINE_RECORD_HISTORIES. End-to-end tests keep one per workflow type and way of ending (`owned/`);
 * fast-tier tests keep every history of every test, named after the test (`paths/`): one per decision path.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const RECORD_DIR = process.env.LIFELINE_RECORD_HISTORIES;

const save = async (client: Client, w: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId'>, file: string) => {
  const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
  // The time-skipping test server leaves the started event's workflow ID empty; replay needs it.
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (started && !started.workflowId) started.workflowId = w.workflowId;
  writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
};

/**
 * One history per workflow type and way of ending (completed, failed, cancelled, or still running) run on
 * this task queue. Existing fixtures are kept, so the first path recorded in a suite run wins.
 */
export async function recordOwnedHistories(client: Client, taskQueue: string): Promise<void> {
  if (!RECORD_DIR) return;
  const dir = path.join(RECORD_DIR, 'owned');
  mkdirSync(dir, { recursive: true });
  // Closed runs first; a type that never closes here (triage) is recorded from its running history.
  for (const status of ['ExecutionStatus != "Running"', 'ExecutionStatus = "Running"']) {
    for await (const w of client.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ${status}` })) {
      const file = path.join(dir, `${w.type}-${w.status.name.toLowerCase()}.pb`);
      if (!existsSync(file)) await save(client, w, file);
    }
  }
}

/** The current test's name as a file name prefix. */
const testSlug = () =>
  (expect.getState().currentTestName ?? 'unnamed')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);

/**
 * Every workflow the current fast-tier test ran: listed by task queue, or (on a server without visibility,
 * the time-skipping test server) the given IDs, each with its post-rollback child when there is one.
 */
export async function recordPathHistories(client: Client, from: { taskQueue: string } | { ids: string[] }) {
  if (!RECORD_DIR) return;
  const dir = path.join(RECORD_DIR, 'paths');
  mkdirSync(dir, { recursive: true });
  const prefix = testSlug();
  const runs: { workflowId: string; runId?: string; type?: string }[] = [];
  if ('taskQueue' in from) {
    for await (const w of client.workflow.list({ query: `TaskQueue = "${from.taskQueue}"` })) runs.push(w);
  } else {
    runs.push(...from.ids.flatMap((id) => [{ workflowId: id }, { workflowId: `${id}:post-actions` }]));
  }
  for (const run of runs) {
    const described = await client.workflow
      .getHandle(run.workflowId, run.runId)
      .describe()
      .catch(() => undefined);
    if (!described) continue;
    const file = path.join(
      dir,
      `${prefix}--${described.type}-${described.status.name.toLowerCase()}-${described.runId.slice(-8)}.pb`,
    );
    await save(client, described, file);
  }
}
