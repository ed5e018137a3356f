import { Store } from '../../src/store/store.js';
import { freshPostgresDatabase } from './postgres.js';

/**
 * The store the engine's tests run on: an in-memory SQLite database, or with
 * MEETSYNC_TEST_STORE=postgres a new database on the run's PostgreSQL server (issue 17: the same
 * tests against both; `npm run test:postgres`). `close` also drops the PostgreSQL database.
 */
export async function openTestStore(): Promise<{ store: Store; close(): Promise<void> }> {
  if (process.env.MEETSYNC_TEST_STORE !== 'postgres') {
    const store = Store.open(':memory:');
    return { store, close: async () => store.close() };
  }
  const db = await freshPostgresDatabase();
  const store = Store.open(db.url);
  return {
    store,
    close: async () => {
      store.close();
      await db.drop();
    },
  };
}

/** Every row of every table, in a stable order: what a run that must write nothing compares before and after. */
export function dumpStore(store: Store): Record<string, unknown[]> {
  const tables =
    store.sql.dialect === 'sqlite'
      ? store.sql.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      : store.sql.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name");
  return Object.fromEntries(tables.map(({ name }) => [name, store.sql.all(`SELECT * FROM ${name} ORDER BY 1`)]));
}
