import { defineConfig } from 'vitest/config';

// npm test: unit and CLI tests. The e2e suite has its own config (npm run test:e2e).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/cli/**/*.test.ts'],
    // The CLI tests start the built binary several times per test; a busy 2-core machine needs more than 5s.
    testTimeout: 30_000,
  },
});
