import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A new, empty PostgreSQL database on the run's test server (started by test/support/global-setup.ts),
 * with a unique name. Throws when there is no server: PostgreSQL tests fail on such a machine, they
 * are never skipped. `drop()` removes the database (closing any connection still open to it).
 */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.MEETSYNC_TEST_POSTGRES_URL;
  if (!adminUrl) {
    const why = process.env.MEETSYNC_TEST_POSTGRES_ERROR ?? 'the global setup (test/support/global-setup.ts) did not run';
    throw new Error(
      "no PostgreSQL server for the tests: install Debian's postgresql package (apt-get install postgresql, or bash .ci/install-postgres); " +
        `the test run starts its own server with it. Why none started: ${why}`,
    );
  }
  const name = `meetsync_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function admin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The records of a PostgreSQL database as the e2e tests compare them: each mapping's state and meeting. */
export async function mappingsIn(url: string): Promise<Array<{ state: string; meetingId: string | undefined }>> {
  const { Store } = await import('../../src/store/store.js');
  const store = Store.open(url);
  try {
    return store.mappings().map((m) => ({ state: m.state, meetingId: m.meetingId }));
  } finally {
    store.close();
  }
}
