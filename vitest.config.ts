import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Vitest's default on two cores is one file at a time, yet the longest files mostly wait on real
    // servers' clocks (scrapes, rule evaluations, Alertmanager's group waits): three at a time keep CI
    // on a 2-core machine under 15 minutes.
    maxWorkers: 3,
  },
});
