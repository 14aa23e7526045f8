/**
 * Cleanup registered where a resource is made, as fastify/demo's test helper does: it runs after the test
 * that made it (or after the file, for what a `beforeAll` made), also when an assertion failed first.
 */
import path from 'node:path';
import { reportStallAfter } from './stall-report';

type Cleanup = () => Promise<unknown> | unknown;

/** Shorter than jest's 180 s test timeout, so the report comes while the stall lasts. */
const TEST_STALL_MS = 150_000;
const CLEANUP_STALL_MS = 60_000;

const afterThisTest: Cleanup[] = [];
const afterThisFile: Cleanup[] = [];

export function onCleanup(fn: Cleanup): void {
  (expect.getState().currentTestName ? afterThisTest : afterThisFile).push(fn);
}

async function runAll(list: Cleanup[], what: string): Promise<void> {
  const disarm = reportStallAfter(CLEANUP_STALL_MS, what);
  for (const fn of list.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // One cleanup failing must not keep the others from running.
    }
  }
  disarm();
}

let disarmTest: (() => void) | undefined;
beforeEach(() => {
  disarmTest = reportStallAfter(TEST_STALL_MS, `test "${expect.getState().currentTestName}"`);
});
afterEach(() => {
  disarmTest?.();
  return runAll(afterThisTest, `cleanup after "${expect.getState().currentTestName}"`);
});
afterAll(() => runAll(afterThisFile, `cleanup after ${path.basename(expect.getState().testPath ?? 'a file')}`));
