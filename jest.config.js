// Unit specs sit beside the code (*.spec.ts); end-to-end specs are in test/ (*.e2e-spec.ts) and
// boot the real app on a real PostgreSQL: one database per spec file, cloned from a migrated
// template that test/global-setup.ts builds once per run.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  transform: { '^.+\\.ts$': swc, '/node_modules/content-disposition/.+\\.js$': swc },
  // content-disposition (under @fastify/static, which serves /docs) ships only ESM; Node (22.12+,
  // 24) loads it through require(esm), Jest's own module loader cannot, so Jest compiles it to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleNameMapper: {
    '^@app/(config|database|common)$': '<rootDir>/libs/$1/src',
    '^@app/(config|database|common)/(.*)$': '<rootDir>/libs/$1/src/$2',
    '^@app/migrations/(.*)$': '<rootDir>/migrations/$1',
  },
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 60_000,
};
