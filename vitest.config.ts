import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests (`*.test.ts`, no stack needed) and integration tests
// (`*.int.test.ts`) against the real local stack, which globalSetup brings up if needed.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', '.stack/**'],
          typecheck: { enabled: false },
          // Pure tests, but some compile TypeScript (codegen): generous on a loaded 2-core box.
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '.stack/**'],
          globalSetup: ['test/global-setup.ts'],
          // Three JVMs share two cores: one integration file at a time keeps timings sane.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
