import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { DatabaseError, DataError } from '../domain/errors.js';

/** One numbered SQL file of migrations/, e.g. 0001_init.sql. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The migrations/ folder of the installed package, from src/ (tests) or dist/src/ (the bin). */
export function migrationsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i += 1) {
    const candidate = path.join(dir, 'migrations');
    if (existsSync(candidate) && existsSync(path.join(dir, 'package.json'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new DataError('cannot find the migrations/ folder of meetsync; reinstall the package');
}

export function readMigrations(dir = migrationsDir()): Migration[] {
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

/** Applies every pending migration, each in its own transaction, and records it. Returns those applied. */
export function migrate(db: Database.Database, all: readonly Migration[] = readMigrations()): Migration[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[];
  const latestKnown = all.at(-1)?.version ?? 0;
  const newest = Math.max(0, ...applied);
  if (newest > latestKnown) {
    throw new DatabaseError(`the database was written by a newer meetsync (schema ${newest}, this version knows ${latestKnown}); upgrade meetsync`);
  }
  const pending = pendingMigrations(applied, all);
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of pending) {
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    })();
  }
  return pending;
}
