/** The whole suite (`npm test`): every tier, against the real Temporal server and Docker engine. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  preset: 'ts-jest',
  transform: {
    // Transpile only: each jest worker type-checking every file it loads cost a minute of CPU on two cores;
    // `npm run lint` type-checks src and test once (tsc -p tsconfig.test.json).
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
    // fastify's inject loads the ESM-only `cookie`, which jest's CommonJS runtime cannot require as it is.
    '/node_modules/cookie/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  testTimeout: 180_000,
  maxWorkers: 1,
};
