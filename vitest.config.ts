import { defineConfig } from 'vitest/config';

// Lab tests build network namespaces and run real daemons: they run one file at a time
// so that two labs never compete for the 2 cores or for the same namespace names.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
