import type { Mapping } from '../../src/domain/mapping.js';
import { Store } from '../../src/store/store.js';
import { freshPostgresDatabase } from './postgres.js';

/** A store the tests opened, and how to close it (and drop its PostgreSQL database). */
export interface TestStore {
  store: Store;
  close(): Promise<void>;
}

/**
 * The store the engine's tests run on: an in-memory SQLite database, or with
 * MEETSYNC_TEST_STORE=postgres a new database on the run's PostgreSQL server (issue 17: the same
 * tests against both; `npm run test:postgres`). `close` also drops the PostgreSQL database.
 */
export async function openTestStore(): Promise<TestStore> {
  if (process.env.MEETSYNC_TEST_STORE !== 'postgres') {
    const store = Store.open(':memory:');
    return { store, close: async () => store.close() };
  }
  return openPostgresTestStore();
}

/**
 * A new database on the run's PostgreSQL server, opened as meetsync opens its database; `fill`,
 * if given, writes into it first through a connection of its own (a restored copy: lost-database.ts).
 * `close` also drops it.
 */
export async function openPostgresTestStore(fill?: (store: Store) => void): Promise<TestStore> {
  const db = await freshPostgresDatabase();
  try {
    if (fill) {
      const filling = Store.open(db.url);
      try {
        fill(filling);
      } finally {
        filling.close();
      }
    }
    const store = Store.open(db.url);
    return {
      store,
      close: async () => {
        store.close();
        await db.drop();
      },
    };
  } catch (e) {
    await db.drop();
    throw e;
  }
}

/** Every row of every table, in a stable order: what a run that must write nothing compares before and after. */
export function dumpStore(store: Store): Record<string, unknown[]> {
  const tables =
    store.sql.dialect === 'sqlite'
      ? store.sql.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      : store.sql.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name");
  return Object.fromEntries(tables.map(({ name }) => [name, store.sql.all(`SELECT * FROM ${name} ORDER BY 1`)]));
}

/** A creation under way, as the store tests write and read it. */
export const sampleMapping: Mapping = {
  source: 'corp-google',
  calendarId: 'alice@example.com',
  eventId: 'evt1',
  organizerEmail: 'alice@example.com',
  userId: '5e9459c5b863b82cefdddf4e',
  marker: 'meetsync:0123',
  state: 'creating',
  topic: 'Planning',
  start: '2026-12-01T09:00:00.000Z',
  end: '2026-12-01T10:00:00.000Z',
  recurrence: { frequencyType: 'weekly', frequency: 1, monthlyPattern: '', endsType: 'never' },
  writeBack: 'pending',
  createdAt: '2026-11-27T00:00:00.000Z',
  updatedAt: '2026-11-27T00:00:00.000Z',
};
