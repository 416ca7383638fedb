import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration files share one Redis on separate key prefixes; two at a time suits the 2-core box.
    maxWorkers: 2,
  },
});
