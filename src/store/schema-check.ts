import type { Sql } from './sql.js';
import { DatabaseError } from '../domain/errors.js';
import { NewerSchemaError, type Migration } from './migrate.js';

/**
 * Before meetsync writes to a database file (WAL mode, migrations), it makes sure the file is
 * one of its own, or empty: pointed by mistake at another application's SQLite file, or at a
 * meetsync database that lost a table or its migration records, it would otherwise add its
 * tables to it, or fail halfway. The tables to expect are derived from the migration files
 * themselves, so a new migration needs no change here.
 */

const IDENTIFIER = String.raw`(?:"((?:[^"]|"")+)"|\x60((?:[^\x60]|\x60\x60)+)\x60|\[([^\]]+)\]|([A-Za-z_][A-Za-z0-9_$]*))`;
const QUALIFIED = String.raw`(?:${IDENTIFIER}\s*\.\s*)?${IDENTIFIER}`;
const CREATE_TABLE = new RegExp(String.raw`^CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${QUALIFIED}`, 'i');
const DROP_TABLE = new RegExp(String.raw`^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?${QUALIFIED}`, 'i');
const RENAME_TABLE = new RegExp(String.raw`^ALTER\s+TABLE\s+${QUALIFIED}\s+RENAME\s+TO\s+${IDENTIFIER}`, 'i');

/** The SQL of a migration without comments, split into statements (string literals respected). */
function statements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < sql.length; i += 1) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i += 1;
      current += ' ';
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 1;
      current += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end;
      current += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === ';') {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  out.push(current.trim());
  return out.filter((s) => s !== '');
}

/** The last identifier matched, unquoted, lower-cased (SQLite compares table names case-insensitively). */
function nameOf(match: RegExpExecArray, from: number): string {
  const groups = match.slice(from, from + 4);
  const quoted = groups.find((g) => g !== undefined) ?? '';
  return quoted.replace(/""/g, '"').replace(/``/g, '`').toLowerCase();
}

/** The tables that exist once `applied` migrations have run, in order: created, dropped, renamed. */
export function tablesAfter(applied: readonly Migration[]): Set<string> {
  const tables = new Set<string>();
  for (const m of applied) {
    for (const statement of statements(m.sql)) {
      let match: RegExpExecArray | null;
      if ((match = CREATE_TABLE.exec(statement))) tables.add(nameOf(match, 5));
      else if ((match = DROP_TABLE.exec(statement))) tables.delete(nameOf(match, 5));
      else if ((match = RENAME_TABLE.exec(statement))) {
        tables.delete(nameOf(match, 5));
        tables.add(nameOf(match, 9));
      }
    }
  }
  return tables;
}

const list = (names: Iterable<string>) => [...names].sort().join(', ');

/**
 * Throws DatabaseError unless `db` is empty (no table at all: new, or interrupted before its
 * first migration committed) or a meetsync database of a schema this meetsync knows (else
 * NewerSchemaError) whose tables are exactly those its recorded migrations create. Reads only; a
 * refused file is left as it was.
 */
export function checkSchema(sql: Sql, all: readonly Migration[]): void {
  // One read transaction: the tables and their records are read from one snapshot, even while
  // another process opening the database commits a migration between the two reads.
  sql.transaction(() => compare(sql, sql.target, all));
}

/** The database's tables, lower case: SQLite's catalogue, or PostgreSQL's current schema (meetsync's database is its own). */
function tableNames(sql: Sql): string[] {
  return sql.dialect === 'sqlite'
    ? sql.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").map((r) => r.name)
    : sql.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'").map((r) => r.name);
}

function compare(sql: Sql, file: string, all: readonly Migration[]): void {
  let present: Set<string>;
  try {
    present = new Set(tableNames(sql).map((n) => n.toLowerCase()));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new DatabaseError(`${file} is not a meetsync database (not an SQLite database file); check the 'database' key`, { cause: err });
    }
    throw err;
  }
  const hasRecords = present.has('schema_migrations');
  present.delete('schema_migrations');
  if (!hasRecords) {
    if (present.size === 0) return;
    throw new DatabaseError(`${file} is not a meetsync database (it holds the tables ${list(present)} and no schema_migrations); check the 'database' key`);
  }

  let versions: number[];
  try {
    versions = sql.all<{ version: number }>('SELECT version FROM schema_migrations').map((r) => Number(r.version));
  } catch (err) {
    throw new DatabaseError(`${file} is not a meetsync database (its schema_migrations table is not meetsync's); check the 'database' key`, { cause: err });
  }
  // Here, before the caller writes anything (WAL mode, migrations): a refused newer database is left as it was.
  const latestKnown = all.at(-1)?.version ?? 0;
  const newest = Math.max(0, ...versions);
  if (newest > latestKnown) throw new NewerSchemaError(newest, latestKnown);

  const applied = all.filter((m) => versions.includes(m.version));
  const expected = tablesAfter(applied);
  const missing = [...expected].filter((t) => !present.has(t));
  const unexpected = [...present].filter((t) => !expected.has(t));
  if (applied.length === 0 && unexpected.length > 0) {
    throw new DatabaseError(
      `${file} is not a usable meetsync database: it holds the tables ${list(unexpected)} but schema_migrations records no migration; restore a backup or check the 'database' key`,
    );
  }
  const version = Math.max(...versions);
  if (missing.length > 0) {
    throw new DatabaseError(`the meetsync database ${file} is damaged: table ${list(missing)} of schema version ${version} is missing; restore a backup`);
  }
  if (unexpected.length > 0) {
    throw new DatabaseError(
      `the meetsync database ${file} is damaged: it holds the table ${list(unexpected)}, which schema version ${version} does not have (are rows of schema_migrations missing?); restore a backup`,
    );
  }
}
