import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseError, MeetsyncError } from '../domain/errors.js';
import { migrate, readMigrations } from './migrate.js';
import { checkSchema } from './schema-check.js';
import { isPostgresUrl } from './database-target.js';
import { PostgresSql } from './postgres-sql.js';
import type { Sql } from './sql.js';
import { SqliteSql } from './sqlite-sql.js';

/** Plain words for the errno of a failed mkdir or open. */
const WHY: Record<string, string> = {
  EEXIST: 'a part of its folder path is a file, not a folder',
  ENOTDIR: 'a part of its folder path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EISDIR: 'it is a folder',
  ENOTFILE: 'it is not a regular file',
};

function cannotCreate(file: string, err: unknown, making: 'folder' | 'file'): DatabaseError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  // ENOENT after the folders exist: a file system that takes no new files there (/proc, /sys).
  const why = code === 'ENOENT' ? `${making === 'folder' ? 'its folder' : 'it'} cannot be created there` : (WHY[code] ?? (err as Error).message);
  return new DatabaseError(`cannot create the database ${file}: ${why}; check the 'database' key`, { cause: err });
}

/**
 * Creates the missing folders of `dir` one by one. Not mkdirSync({recursive}): on Node 20 it
 * never returns for a path under /proc (ENOENT on a parent that exists makes it retry forever).
 */
function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) mkdirSync(d, { mode: 0o700 });
}

/**
 * Opens (creating if needed) the SQLite database, with the pragmas meetsync relies on, and
 * brings its schema up to date. The file is created with mode 0600: it maps every organizer's
 * meetings, which is private to the company. A file that is not a meetsync database (or is a
 * damaged one) is refused before anything is written to it. Every failure is a DatabaseError
 * (exit code 2) with one plain line.
 */
export function openDatabase(file: string): Sql {
  if (isPostgresUrl(file)) return openPostgres(file);
  if (file === ':memory:') return prepare(new Database(file));
  try {
    makeFolders(path.dirname(file));
  } catch (err) {
    throw cannotCreate(file, err, 'folder');
  }
  try {
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    else if (!statSync(file).isFile()) throw Object.assign(new Error('not a file'), { code: statSync(file).isDirectory() ? 'EISDIR' : 'ENOTFILE' });
  } catch (err) {
    throw cannotCreate(file, err, 'file');
  }
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 10_000, fileMustExist: true });
  } catch (err) {
    throw new DatabaseError(`cannot open the database ${file}: ${(err as Error).message}; check the 'database' key`, { cause: err });
  }
  try {
    checkSchema(new SqliteSql(db), readMigrations());
    return prepare(db);
  } catch (err) {
    db.close();
    if (err instanceof MeetsyncError) throw err;
    throw new DatabaseError(`cannot use the database ${file}: ${(err as Error).message}; check the 'database' key and that the file and its folder are writable`, { cause: err });
  }
}

function prepare(db: Database.Database): Sql {
  enableWal(db);
  // FULL: a committed mapping survives a crash or power loss; exactly-once relies on it.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  const sql = new SqliteSql(db);
  migrate(sql);
  return sql;
}

/**
 * A PostgreSQL database (issue 17): connected, its schema checked (as for a file: empty, or
 * meetsync's of a version this meetsync knows) and brought up to date. meetsync's tables live in
 * the connection's current schema; the database (or schema) is meetsync's alone.
 */
function openPostgres(url: string): Sql {
  const sql = PostgresSql.open(url);
  try {
    checkSchema(sql, readMigrations('postgres'));
    migrate(sql);
    return sql;
  } catch (err) {
    sql.close();
    if (err instanceof MeetsyncError) throw err;
    throw new DatabaseError(`cannot use the database ${sql.target}: ${(err as Error).message}; check the 'database' key and that meetsync's role may create tables`, { cause: err });
  }
}

/** How long a process waits for another one switching the same file to WAL: the busy timeout's length. */
const WAL_SWITCH_WAIT_MS = 10_000;

/**
 * Switching to WAL needs the file to itself, and SQLite answers SQLITE_BUSY at once, without its
 * busy handler, when another process is switching it at the same moment (two processes opening a
 * new database together). Waits for that one and tries again; the second attempt then finds WAL set.
 */
function enableWal(db: Database.Database): void {
  const deadline = Date.now() + WAL_SWITCH_WAIT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      // Synchronous like the rest of opening (better-sqlite3 is); a few milliseconds at most, once per start.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
