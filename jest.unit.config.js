/**
 * The unit tier (`npm run test:unit`): domain rules, config, codec, auth, API routes against a recording
 * Temporal client, CLI parsing. No Docker, no Temporal server, no provisioning.
 */
const base = require('./jest.config');
/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/unit'],
  globalSetup: undefined,
  globalTeardown: undefined,
  testTimeout: 30_000,
  maxWorkers: 2,
};
