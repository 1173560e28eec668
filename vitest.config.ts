import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One temporary directory per run, removed at its end (test/tmpRoot.setup.ts).
    globalSetup: ['test/tmpRoot.setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores in CI: run files two at a time so heavy suites do not starve each other.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
