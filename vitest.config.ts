import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The simulators serve https with a CA generated per run; globalSetup writes it and sets
    // NODE_EXTRA_CA_CERTS before the worker processes start, so the real SDKs trust it.
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
