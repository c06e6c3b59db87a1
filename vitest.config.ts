import { defineConfig } from 'vitest/config';

// Separate from vite.config.ts (whose root is client/): tests run from the repository root.
export default defineConfig({
  test: {
    root: '.',
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
