import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DataError } from '../domain/errors.js';
import { migrate } from './migrate.js';

/**
 * Opens (creating if needed) the SQLite database, with the pragmas meetsync relies on, and
 * brings its schema up to date. The file is created with mode 0600: it maps every organizer's
 * meetings, which is private to the company.
 */
export function openDatabase(file: string): Database.Database {
  if (file !== ':memory:') {
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new DataError(`cannot create the database ${file} (${code}); check the 'database' key and the folder's permissions`, { cause: err });
    }
  }
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 10_000 });
    db.pragma('journal_mode = WAL');
    // FULL: a committed mapping survives a crash or power loss; exactly-once relies on it.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`cannot open the database ${file}: ${(err as Error).message}`, { cause: err });
  }
  return db;
}
