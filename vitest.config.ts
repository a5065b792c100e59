import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests spawn servers and child processes; keep the pool modest on a 2-core machine.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
