/**
 * The fast tier (`npm run test:fast`): workflow logic with fake activities on the real dev server and on the
 * time-skipping test server, and the replay of every recorded history. No Docker.
 */
process.env.LIFELINE_TEST_FAST = '1';
const base = require('./jest.config');
module.exports = {
  ...base,
  roots: ['<rootDir>/test/fast'],
  testTimeout: 60_000,
  // Files run side by side: each has its own task queues, stacks and (triage) its own server.
  maxWorkers: 2,
};
