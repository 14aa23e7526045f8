/** Verification runs, each as the child of a parent with a procedure's workflow ID (as a rollback starts it). */
import { NativeConnection, Worker } from '@temporalio/worker';
import { procedureWorkflowId } from '../../src/domain/workflow-ids';
import type { VerificationReport } from '../../src/domain/verification';
import { harnessState, testDataConverter, TestEnv } from './env';

export interface VerificationRunner {
  /** `input` as verification takes it; the parent is a quick rollback of `parentStack` (default: the input's stack). */
  verify(input: { stack: { name: unknown } }, parentStack?: string): Promise<VerificationReport>;
  close(): Promise<void>;
}

let parents = 0;

export async function verificationRunner(env: TestEnv): Promise<VerificationRunner> {
  const connection = await NativeConnection.connect({ address: harnessState().address });
  const taskQueue = `${env.taskQueue}-parent`;
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/procedure-parent/workflows'),
    dataConverter: testDataConverter(),
  });
  const running = worker.run();
  return {
    verify: (input, parentStack) =>
      env.client.workflow.execute('verifyAsChild', {
        taskQueue,
        // A distinct second per parent: its ID names no procedure that really ran.
        workflowId: procedureWorkflowId(
          'quick-rollback',
          parentStack ?? String(input.stack.name),
          new Date(Date.UTC(2001, 0, 1) + parents++ * 1000),
        ),
        args: [env.taskQueue, input],
      }) as Promise<VerificationReport>,
    async close() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
