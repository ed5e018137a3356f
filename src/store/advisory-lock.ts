import { PostgresSql } from './postgres-sql.js';

/**
 * The cycle, daemon and probe locks on a PostgreSQL database (issue 17): session advisory locks,
 * held on one connection per process and database, kept for the process's life. The server drops
 * them when that connection ends, however the process ends (a SIGKILL closes its socket), as the
 * OS drops an SQLite lock file's lock (lock.ts); nothing to clean up after a crash. The store's own
 * connection is not used: a lock must outlive a store that a command closes and opens again.
 */
const connections = new Map<string, PostgresSql>();

function connectionFor(url: string): PostgresSql {
  let sql = connections.get(url);
  if (!sql) {
    sql = PostgresSql.open(url);
    connections.set(url, sql);
  }
  return sql;
}

export interface HeldLock {
  release(): void;
}

/** The lock `name` on the database at `url`, or undefined when another session holds it. */
export function tryAdvisoryLock(url: string, name: 'cycle' | 'daemon' | 'probe'): HeldLock | undefined {
  const sql = connectionFor(url);
  const key = `meetsync ${name}`;
  if (sql.value('SELECT pg_try_advisory_lock(hashtext(?))', [key]) !== true) return undefined;
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      sql.value('SELECT pg_advisory_unlock(hashtext(?))', [key]);
    },
  };
}
