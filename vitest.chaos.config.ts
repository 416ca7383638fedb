import { defineConfig } from 'vitest/config';

/**
 * `npm run test:chaos`: real processes, a redis-server of the suite's own that is killed, paused
 * and restarted. One file at a time: the faults are meant for the gateway, not for other tests.
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
