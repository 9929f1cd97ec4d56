// The hostile-input suite (npm run test:fuzz): property-based cases over every endpoint, kept out of
// the normal run. FUZZ_RUNS (cases per property) and FUZZ_SEED size and fix a run.
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/fuzz/**/*.fuzz-spec.ts'],
  testTimeout: 3_600_000,
};
