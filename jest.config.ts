import type { Config } from 'jest';

/** One jest config for all workspaces. Type checking is `npm run typecheck`; jest only transpiles. */
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
  },
  moduleNameMapper: {
    '^@tokenpak/core$': '<rootDir>/packages/core/src/index.ts',
    '^@tokenpak/core/plugin$': '<rootDir>/packages/core/src/plugin-api.ts',
  },
  testTimeout: 60_000,
  maxWorkers: 2,
  // Tests start servers and child processes; each cleans up after itself.
  forceExit: false,
};

export default config;
