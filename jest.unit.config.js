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
  // Transpile only: types are checked by `npm run lint` and by the whole suite.
  transform: { ...base.transform, '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.fast.json' }] },
  testTimeout: 30_000,
  maxWorkers: 2,
};
