/**
 * The workflow bundle stays lean: each workflow instance loads the bundle's workflow modules anew (the SDK's
 * reusable context shares only its own), so a schema library imported there is built again for every one,
 * costing memory per cached workflow and time in each new workflow's first task.
 */
import { readFileSync } from 'node:fs';
import { BUNDLE_FILE } from '../harness/paths';

test('workflow code loads no schema library (zod): domain rules it uses live in zod-free modules', () => {
  const modules = new Set(readFileSync(BUNDLE_FILE, 'utf8').match(/"\.\/[^"\s]+\.c?[jt]s"/g));
  const named = (re: RegExp) => [...modules].filter((m) => re.test(m));
  expect(named(/domain\/release-rules/)).toHaveLength(1); // the check reads module names as webpack writes them
  expect(named(/node_modules\/zod\//)).toEqual([]);
});
