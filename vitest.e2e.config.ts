import { defineConfig } from 'vitest/config';

// End-to-end: one real control plane per run (test/e2e/global-setup.ts), stories in order, one worker.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    testTimeout: 6 * 60_000,
    hookTimeout: 6 * 60_000,
    sequence: { concurrent: false },
  },
});
