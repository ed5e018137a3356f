import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/domain/errors.js';
import { openDatabase } from '../../src/store/db.js';
import { readMigrations, type Migration } from '../../src/store/migrate.js';
import { tablesAfter } from '../../src/store/schema-check.js';

/** What openDatabase does with files that are not (or no longer) a meetsync database. */

const dir = () => mkdtempSync(path.join(os.tmpdir(), 'meetsync-dbfile-'));

function refusal(file: string): DatabaseError {
  try {
    openDatabase(file).close();
  } catch (err) {
    expect(err).toBeInstanceOf(DatabaseError);
    return err as DatabaseError;
  }
  throw new Error(`expected ${file} to be refused`);
}

/** A meetsync database as a cycle leaves it, then changed by `damage`. */
function meetsyncDatabase(damage: (db: Database.Database) => void): string {
  const file = path.join(dir(), 'meetsync.db');
  openDatabase(file).close();
  const db = new Database(file);
  damage(db);
  db.pragma('journal_mode = DELETE');
  db.close();
  return file;
}

const tables = (file: string) => {
  const db = new Database(file, { readonly: true });
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
  db.close();
  return names;
};

describe('database file', () => {
  const foreign: Array<[string, () => string, RegExp]> = [
    ['random bytes', () => { const f = path.join(dir(), 'x.db'); writeFileSync(f, randomBytes(8192)); return f; }, /is not a meetsync database \(not an SQLite database file\)/],
    ['a text file', () => { const f = path.join(dir(), 'notes.txt'); writeFileSync(f, 'database: ./data/meetsync.db\n'); return f; }, /is not a meetsync database \(not an SQLite database file\)/],
    ['another application\'s SQLite database', () => {
      const f = path.join(dir(), 'app.db');
      const db = new Database(f);
      db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (12.5)");
      db.close();
      return f;
    }, /is not a meetsync database \(it holds the tables invoices and no schema_migrations\)/],
    ['a meetsync database missing a table', () => meetsyncDatabase((db) => db.exec('DROP TABLE event_notes')), /is damaged: table event_notes of schema version \d+ is missing; restore a backup/],
    ['a meetsync database whose migration records are gone', () => meetsyncDatabase((db) => db.exec('DELETE FROM schema_migrations')), /holds the tables .*mappings.* but schema_migrations records no migration/],
    ['a meetsync database without schema_migrations', () => meetsyncDatabase((db) => db.exec('DROP TABLE schema_migrations')), /is not a meetsync database \(it holds the tables .*organizers.* and no schema_migrations\)/],
  ];

  it.each(foreign)('refuses %s with one line, exit code 2, and leaves it byte for byte', (_name, make, message) => {
    const file = make();
    const before = readFileSync(file);
    const err = refusal(file);
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(file);
    expect(err.message).not.toContain('\n');
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it.each([
    ['an empty file (0 bytes)', (f: string) => writeFileSync(f, '')],
    ['an SQLite file without tables', (f: string) => new Database(f).pragma('journal_mode = WAL')],
    ['a database whose first migration was interrupted', (f: string) => new Database(f).exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)')],
  ])('initialises %s', (_name, make) => {
    const file = path.join(dir(), 'meetsync.db');
    make(file);
    openDatabase(file).close();
    expect(tables(file)).toEqual(expect.arrayContaining(['schema_migrations', 'organizers', 'mappings', 'event_notes', 'calendar_state', 'runs']));
  });

  it('refuses a database written by a newer meetsync before writing anything: same bytes, same journal mode, no -wal file', () => {
    const file = meetsyncDatabase((db) => db.prepare('INSERT INTO schema_migrations VALUES (999, ?, ?)').run('future', '2031-01-01T00:00:00.000Z'));
    const before = createHash('sha256').update(readFileSync(file)).digest('hex');
    const err = refusal(file);
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/written by a newer meetsync \(schema 999, this version knows \d+\); upgrade meetsync/);
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before);
    expect(existsSync(`${file}-wal`)).toBe(false);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
  });

  it('reopens its own database', () => {
    const file = meetsyncDatabase(() => undefined);
    expect(() => openDatabase(file).close()).not.toThrow();
  });

  it('says in plain words when the folder cannot be made, instead of EEXIST (a /proc path: test/e2e/database.test.ts)', () => {
    const base = dir();
    writeFileSync(path.join(base, 'file'), 'x');
    for (const file of [path.join(base, 'file', 'meetsync.db'), path.join(base, 'file', 'sub', 'meetsync.db')]) {
      const err = refusal(file);
      expect(err.exitCode).toBe(2);
      expect(err.message).toBe(`cannot create the database ${file}: a part of its folder path is a file, not a folder; check the 'database' key`);
    }
    expect(refusal(base).message).toBe(`cannot create the database ${base}: it is a folder; check the 'database' key`);
    expect(refusal('/dev/null').message).toBe("cannot create the database /dev/null: it is not a regular file; check the 'database' key");
    expect(refusal('/proc/1/meetsync.db').message).toBe("cannot create the database /proc/1/meetsync.db: it cannot be created there; check the 'database' key");
    expect(refusal('/proc/version').message).toBe("cannot use the database /proc/version: unable to open database file; check the 'database' key and that the file and its folder are writable");
  });

  it('derives the tables to expect from the migration files', () => {
    expect([...tablesAfter(readMigrations())]).toEqual(expect.arrayContaining(['organizers', 'mappings', 'event_notes', 'calendar_state', 'runs']));
    const m = (version: number, sql: string): Migration => ({ version, name: `m${version}`, sql });
    const all = [
      m(1, "-- CREATE TABLE commented (x);\nCREATE TABLE a (x TEXT DEFAULT 'CREATE TABLE fake (y); DROP TABLE a');\n/* CREATE TABLE b (y) */ create table if not exists \"Quoted \"\"T\"\"\" (z);"),
      m(2, 'CREATE TABLE old (x); CREATE TEMP TABLE main.t2 (y); ALTER TABLE old RENAME TO renamed; DROP TABLE IF EXISTS t2; ALTER TABLE a ADD COLUMN b TEXT;'),
    ];
    expect([...tablesAfter(all)].sort()).toEqual(['a', 'quoted "t"', 'renamed']);
    expect([...tablesAfter(all.slice(0, 1))].sort()).toEqual(['a', 'quoted "t"']);
  });
});
