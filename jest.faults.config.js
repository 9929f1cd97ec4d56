// The fault suite (`npm run test:faults`, after `npm run build`): each scenario runs the built
// service as real processes on its own embedded PostgreSQL, breaks them under load, and compares
// what was acknowledged with what the database holds. No shared global setup: it brings its own servers.
const base = require('./jest.config');

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
  transform: base.transform,
  transformIgnorePatterns: base.transformIgnorePatterns,
  moduleNameMapper: base.moduleNameMapper,
  maxWorkers: 1,
  testTimeout: 180_000,
};
