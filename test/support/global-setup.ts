import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { startTestPostgres, type TestPostgresServer } from './postgres-server.js';

/**
 * One CA for the whole run. NODE_EXTRA_CA_CERTS is read when a Node process starts, so it is set
 * here, before vitest forks its workers; every SDK in every worker then trusts the simulators.
 *
 * One PostgreSQL server for the whole run too (test/support/postgres-server.ts), its admin URL in
 * MEETSYNC_TEST_POSTGRES_URL. A machine where it cannot start does not stop the run: why is kept in
 * MEETSYNC_TEST_POSTGRES_ERROR, and every test asking for a database (test/support/postgres.ts)
 * fails with it.
 */
export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-test-tls-'));
  const tls = loadOrCreateTls(dir);
  process.env.NODE_EXTRA_CA_CERTS = tls.caCertPath;
  process.env.MEETSYNC_TEST_TLS_DIR = dir;

  delete process.env.MEETSYNC_TEST_POSTGRES_URL;
  delete process.env.MEETSYNC_TEST_POSTGRES_ERROR;
  let postgres: TestPostgresServer | undefined;
  try {
    postgres = await startTestPostgres();
    process.env.MEETSYNC_TEST_POSTGRES_URL = postgres.url;
    process.env.MEETSYNC_TEST_POSTGRES_START_MS = String(postgres.startMs);
  } catch (error) {
    process.env.MEETSYNC_TEST_POSTGRES_ERROR = error instanceof Error ? error.message : String(error);
  }
  // A run that ends without teardown (an interrupted vitest) still stops its server.
  const stopPostgres = (): void => postgres?.stop();
  process.once('exit', stopPostgres);

  return () => {
    process.removeListener('exit', stopPostgres);
    try {
      stopPostgres();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
