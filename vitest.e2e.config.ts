import { defineConfig } from 'vitest/config';

// End-to-end tests in a real browser (Debian chromium + playwright-core): `npm run test:e2e`.
// Kept out of `npm test` so a machine without chromium still gets a green unit suite.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
