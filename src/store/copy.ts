import path from 'node:path';
import { DatabaseError } from '../domain/errors.js';
import { databaseExists, isPostgresUrl, shownDatabase } from './database-target.js';
import { withCycleLock } from './lock.js';
import { readMigrations } from './migrate.js';
import { tablesAfter } from './schema-check.js';
import type { Sql } from './sql.js';
import { Store } from './store.js';

/**
 * `meetsync db copy` (issue 17): every record of one meetsync database copied into another, empty
 * one: SQLite to PostgreSQL (the move to a shared database), PostgreSQL to SQLite, SQLite to
 * SQLite. Both stores are opened with Store.open, so both are at this meetsync's latest schema;
 * the tables are those the migrations create, copied column by column by name. Both schemas use
 * INTEGER and TEXT only: values are copied as they are.
 *
 * The source is read in one transaction (one snapshot) and never written; the target is written
 * in one exclusive transaction: a failure leaves it as empty as it was.
 */

export interface CopyResult {
  tables: Array<{ table: string; rows: number }>;
}

/**
 * Tables of running processes, not records: the replicas' calendar leases and heartbeats
 * (store/leases.ts). A copy is made with meetsync stopped; the replicas on the copy claim afresh.
 */
// push_pokes: notifications one replica left for another, work of the moment as leases are; the
// push channels themselves are copied (they stay open at the provider, checked against their rows).
const NOT_COPIED = new Set(['schema_migrations', 'calendar_leases', 'replicas', 'push_pokes']);

/** The tables a copy carries, in the order the migrations create them (no table references another). */
export function copiedTables(dialect: Sql['dialect']): string[] {
  return [...tablesAfter(readMigrations(dialect))].filter((t) => !NOT_COPIED.has(t));
}

/** At most this many values in one INSERT: well under either database's limit on parameters. */
const VALUES_PER_INSERT = 500;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function columnsOf(sql: Sql, table: string): string[] {
  return sql.dialect === 'sqlite'
    ? sql.all<{ name: string }>('SELECT name FROM pragma_table_info(?) ORDER BY cid', [table]).map((r) => r.name)
    : sql
        .all<{ name: string }>('SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position', [table])
        .map((r) => r.name);
}

/** The first table of `tables` that holds a row in `sql`'s database, if any. */
function firstNonEmpty(sql: Sql, tables: readonly string[]): string | undefined {
  return tables.find((t) => sql.get(`SELECT 1 AS found FROM ${quote(t)} LIMIT 1`) !== undefined);
}

/**
 * Copies every row of `from` into `to`, which must hold no record (schema_migrations aside);
 * returns each table with the number of rows copied. Throws DatabaseError, target unchanged, when
 * `to` holds records or the two schemas differ.
 */
export function copyStore(from: Store, to: Store): CopyResult {
  const tables = copiedTables(to.sql.dialect);
  const source = from.sql;
  const target = to.sql;
  return source.transaction(() => {
    // One snapshot of the whole source (PostgreSQL's default, read committed, takes one per statement).
    if (source.dialect === 'postgres') source.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return target.transaction(() => {
      const holding = firstNonEmpty(target, tables);
      if (holding !== undefined) {
        throw new DatabaseError(`the database ${target.target} already holds meetsync records (table ${holding}); copy into an empty database`);
      }
      const copied: CopyResult['tables'] = [];
      for (const table of tables) {
        const columns = columnsOf(target, table);
        const sourceColumns = new Set(columnsOf(source, table));
        const missing = columns.filter((c) => !sourceColumns.has(c));
        if (missing.length > 0 || sourceColumns.size !== columns.length) {
          throw new DatabaseError(`the databases ${source.target} and ${target.target} differ in the columns of table ${table}; nothing was copied`);
        }
        const list = columns.map(quote).join(', ');
        const rows = source.all<Record<string, unknown>>(`SELECT ${list} FROM ${quote(table)}`);
        const perInsert = Math.max(1, Math.floor(VALUES_PER_INSERT / columns.length));
        for (let i = 0; i < rows.length; i += perInsert) {
          const chunk = rows.slice(i, i + perInsert);
          const placeholders = chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
          target.run(
            `INSERT INTO ${quote(table)} (${list}) VALUES ${placeholders}`,
            chunk.flatMap((row) => columns.map((c) => row[c] ?? null)),
          );
        }
        copied.push({ table, rows: rows.length });
      }
      if (target.dialect === 'postgres') moveSequencesPastCopiedIds(target, tables);
      // SQLite's AUTOINCREMENT (sqlite_sequence) follows the largest id inserted by itself.
      return { tables: copied };
    }, 'exclusive');
  });
}

/** PostgreSQL's identity columns (runs.id): the next generated id comes after the largest copied. */
function moveSequencesPastCopiedIds(sql: Sql, tables: readonly string[]): void {
  const identities = sql.all<{ table_name: string; column_name: string }>(
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
  );
  for (const { table_name: table, column_name: column } of identities) {
    if (!tables.includes(table)) continue;
    sql.value(`SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(${quote(column)}) FROM ${quote(table)}), 0) + 1, false)`, [quote(table), column]);
  }
}

/** Whether two `database` values name the same database (the same file, or the same URL). */
function sameDatabase(a: string, b: string): boolean {
  if (isPostgresUrl(a) || isPostgresUrl(b)) {
    try {
      const [ua, ub] = [new URL(a), new URL(b)];
      ua.password = '';
      ub.password = '';
      return ua.toString() === ub.toString();
    } catch {
      return a === b;
    }
  }
  return path.resolve(a) === path.resolve(b);
}

/**
 * `meetsync db copy`: opens both databases, copies `from` into `to` holding the cycle lock of
 * `from` (no sync cycle writes it meanwhile; busy: a LockedError at once), closes both.
 * `to` is a file path (created if missing) or a postgres:// URL.
 */
export async function copyDatabase(from: string, to: string): Promise<CopyResult> {
  if (from === ':memory:' || !databaseExists(from)) throw new DatabaseError(`there is no database at ${shownDatabase(from)} to copy; check the 'database' key`);
  if (sameDatabase(from, to)) throw new DatabaseError(`${shownDatabase(to)} is the configured database itself; copy into another, empty database`);
  return withCycleLock(
    from,
    async () => {
      const source = Store.open(from);
      try {
        const target = Store.open(to);
        try {
          return copyStore(source, target);
        } finally {
          target.close();
        }
      } finally {
        source.close();
      }
    },
    { wait: false, busyMessage: `a sync cycle is running on the database ${shownDatabase(from)}; stop meetsync (or let the cycle end) and try again` },
  );
}
