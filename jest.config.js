/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
  // Wire-level tests start real servers; give them room on a 2-core machine.
  testTimeout: 30000,
  // Tests share one Redis; run files one at a time there is no need for, but cap workers so
  // servers and Redis are not starved on CI's two cores.
  maxWorkers: 2,
};
