/** The fast tier (`npm run test:fast`): workflow logic with fake activities on the real dev server, no Docker. */
process.env.LIFELINE_TEST_FAST = '1';
const base = require('./jest.config');
module.exports = { ...base, roots: ['<rootDir>/test/fast'], testTimeout: 60_000 };
