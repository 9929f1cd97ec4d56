// The docs' examples (`npm run test:docs`, not part of `npm test`): builds the service, starts the
// production build on a fresh embedded PostgreSQL and a fake Pusher, runs every shell block of
// README.md and docs/ in one bash session and checks each API call's answer against the text.
const base = require('./jest.config');

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/docs/**/*.docs-spec.ts'],
  transform: base.transform,
  transformIgnorePatterns: base.transformIgnorePatterns,
  moduleNameMapper: base.moduleNameMapper,
  maxWorkers: 1,
  testTimeout: 600_000,
};
