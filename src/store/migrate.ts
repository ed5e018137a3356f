import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageDir } from './package-dir.js';
import type { Sql } from './sql.js';
import { DatabaseError, DataError } from '../domain/errors.js';

/** One numbered SQL file of migrations/, e.g. 0001_init.sql. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * The migrations of one database: migrations/ (SQLite) or migrations/postgres/ (PostgreSQL),
 * one list, the same numbers and names in both (test/integration/postgres-migrations.test.ts).
 */
export function migrationsDir(dialect: Sql['dialect'] = 'sqlite'): string {
  const dir = path.join(packageDir(), 'migrations');
  return dialect === 'sqlite' ? dir : path.join(dir, 'postgres');
}

export function readMigrations(dialect: Sql['dialect'] | string = 'sqlite'): Migration[] {
  const dir = dialect === 'sqlite' || dialect === 'postgres' ? migrationsDir(dialect) : dialect;
  const migrations = readdirSync(dir)
    .map((file) => ({ file, match: FILE_PATTERN.exec(file) }))
    .filter((f): f is { file: string; match: RegExpExecArray } => f.match !== null)
    .map(({ file, match }) => ({
      version: Number(match[1]),
      name: match[2]!,
      sql: readFileSync(path.join(dir, file), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new DataError(`migrations/ is not numbered 0001, 0002, ... without gaps (found ${m.version} at position ${i + 1})`);
  });
  return migrations;
}

/** The migrations not yet applied, in order. Pure. */
export function pendingMigrations(applied: readonly number[], all: readonly Migration[]): Migration[] {
  const done = new Set(applied);
  return all.filter((m) => !done.has(m.version));
}

/** The database records a schema this meetsync does not know: a newer meetsync wrote it. Nothing was changed. */
export class NewerSchemaError extends DatabaseError {
  constructor(
    readonly newest: number,
    readonly latestKnown: number,
  ) {
    super(`the database was written by a newer meetsync (schema ${newest}, this version knows ${latestKnown}); upgrade meetsync`);
  }
}

/** As it has always been written: its text is part of the schema snapshot (sqlite_master keeps it). */
const RECORDS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`;

/**
 * Applies every pending migration, each in its own transaction, and records it. Returns those applied.
 *
 * Each transaction is IMMEDIATE (it takes the write lock first) and reads the applied list inside
 * it: a second process opening the database at the same moment (a daemon and `meetsync status`
 * started together after an upgrade) waits for the lock (busy_timeout), then finds the migration
 * applied. Read outside the lock, both saw it pending and the second failed with "table already exists".
 */

export function migrate(sql: Sql, all: readonly Migration[] = readMigrations(sql.dialect)): Migration[] {
  const latestKnown = all.at(-1)?.version ?? 0;
  const applyNext = (): Migration | undefined =>
    sql.transaction((): Migration | undefined => {
      sql.exec(RECORDS_TABLE);
      const applied = sql.all<{ version: number }>('SELECT version FROM schema_migrations').map((r) => Number(r.version));
      // Checked before opening too (schema-check.ts); again here, under the lock, for a newer meetsync that migrated meanwhile.
      const newest = Math.max(0, ...applied);
      if (newest > latestKnown) throw new NewerSchemaError(newest, latestKnown);
      const next = pendingMigrations(applied, all)[0];
      if (!next) return undefined;
      sql.exec(next.sql);
      sql.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [next.version, next.name, new Date().toISOString()]);
      return next;
    }, 'exclusive');
  const done: Migration[] = [];
  for (let next = applyNext(); next; next = applyNext()) done.push(next);
  return done;
}
