/** Jest with @swc/jest: type-checking is `npm run build`'s job, tests only need fast transpiling. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
  },
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  testTimeout: 60000,
  // Jest's default is cores - 1, one worker on the 2-core machines this runs on: the suites are CPU-bound
  // and independent (each has its own simulated account and DynamoDB), so use both cores.
  maxWorkers: 2,
};
