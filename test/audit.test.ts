/**
 * The audit trail outlives the Temporal history: a rollback's record (trigger, who asked, releases, phases,
 * outcome, report) is read back by `lifeline history` after both its workflows were deleted from the server.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { removeFixtureStack, upFixtureStack } from '../src/fixtures/stack';
import type { AuditRecord } from '../src/domain/audit';
import { lifeline } from './harness/cli';
import { createTestEnv, TestEnv } from './harness/env';
import { recordGoodRelease } from './harness/releases';
import { waitFor } from './harness/waits';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('audit');
});
afterAll(async () => {
  await env?.teardown();
});

test('a rollback stays in `lifeline history` after its history is deleted from the server', async () => {
  const stack = env.stack('audited', { ports: [16511, 16512] });
  try {
    const good = await recordGoodRelease(env, stack);
    await upFixtureStack(env.docker, stack, 'v2.5.0');
    const h = await env.start('quick-rollback', {
      stack,
      trigger: 'cli',
      requestedBy: 'test-oncall',
      reason: 'v2.5.0 broken',
    });
    const { postActionsWorkflowId } = (await h.result()) as { postActionsWorkflowId: string };
    const { reportPath } = (await env.client.workflow.getHandle(postActionsWorkflowId).result()) as {
      reportPath: string;
    };

    // Gone from the server, as after its retention period.
    for (const id of [h.workflowId, postActionsWorkflowId]) {
      const { runId } = await env.client.workflow.getHandle(id).describe();
      await env.client.workflowService.deleteWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId: id, runId },
      });
      await waitFor(
        () =>
          env.client.workflow
            .getHandle(id)
            .describe()
            .then(
              () => undefined,
              (err: Error) => (err instanceof WorkflowNotFoundError ? true : undefined),
            ),
        `${id} to be deleted`,
        // The server deletes in the background.
        120_000,
      );
    }

    const cliEnv = { LIFELINE_CONFIG: env.configFile };
    const history = await lifeline(['history', '--stack', 'audited', '--json'], cliEnv);
    expect(history.stderr).toBe('');
    const records = JSON.parse(history.stdout) as AuditRecord[];
    const record = records.find((r) => r.workflowId === h.workflowId);
    expect(record).toMatchObject({
      stack: 'audited',
      procedure: 'quick-rollback',
      trigger: 'cli',
      requestedBy: 'test-oncall',
      reason: 'v2.5.0 broken',
      toRelease: good.id,
      report: reportPath,
    });
    expect(record!.outcome).toMatch(/rolled back and verified/);
    expect(record!.phases.map((p) => p.phase)).toEqual(expect.arrayContaining(['swap', 'healthy', 'verified']));
    expect(record!.toHealthySeconds).toBeGreaterThan(0);
    // The human view and the time filters.
    const text = await lifeline(['history', '--stack', 'audited'], cliEnv);
    expect(text.stdout).toContain(`audited quick-rollback (cli, by test-oncall): rolled back and verified`);
    const future = await lifeline(['history', '--since', '2999-01-01', '--json'], cliEnv);
    expect(JSON.parse(future.stdout)).toEqual([]);
    const bad = await lifeline(['history', '--since', 'yesterday'], cliEnv);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday" is not a date');
  } finally {
    await removeFixtureStack(env.docker, stack);
  }
});
