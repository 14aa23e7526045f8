/**
 * Cleanup registered where a resource is made, as fastify/demo's test helper does: it runs after the test
 * that made it (or after the file, for what a `beforeAll` made), also when an assertion failed first.
 */
type Cleanup = () => Promise<unknown> | unknown;

const afterThisTest: Cleanup[] = [];
const afterThisFile: Cleanup[] = [];

export function onCleanup(fn: Cleanup): void {
  (expect.getState().currentTestName ? afterThisTest : afterThisFile).push(fn);
}

async function runAll(list: Cleanup[]): Promise<void> {
  for (const fn of list.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // One cleanup failing must not keep the others from running.
    }
  }
}

afterEach(() => runAll(afterThisTest));
afterAll(() => runAll(afterThisFile));
