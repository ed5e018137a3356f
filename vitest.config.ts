import { defineConfig } from 'vitest/config';

/**
 * The engine's tests whose store is the harness's (test/support/test-store.ts), run a second time
 * on PostgreSQL (issue 17: the same tests against both stores); the sync state machine, whose
 * lost databases, backups and restores are PostgreSQL databases there (test/support/lost-database.ts;
 * fewer random runs per seed than on SQLite, every fixed example); and the crash and fault
 * campaigns, whose database (test/support/campaign-database.ts) is lost, copied and restored on
 * either store (the crash campaign aims fewer kills per seed on PostgreSQL).
 */
const ON_BOTH_STORES = [
  'test/integration/engine*.test.ts',
  'test/integration/kept-meeting.test.ts',
  'test/integration/attention.test.ts',
  'test/integration/adopt-reference.test.ts',
  'test/integration/sync-machine.test.ts',
  'test/campaign/crash.test.ts',
  'test/campaign/fault.test.ts',
];

const shared = {
  // The simulators serve https with a CA generated per run; globalSetup writes it and sets
  // NODE_EXTRA_CA_CERTS before the worker processes start, so the real SDKs trust it. It also
  // starts the run's PostgreSQL server (test/support/postgres-server.ts).
  globalSetup: ['test/support/global-setup.ts'],
  pool: 'forks' as const,
  testTimeout: 30_000,
  hookTimeout: 30_000,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'main', include: ['test/**/*.test.ts'] } },
      { test: { ...shared, name: 'engine-on-postgres', include: ON_BOTH_STORES, env: { MEETSYNC_TEST_STORE: 'postgres' } } },
    ],
  },
});
