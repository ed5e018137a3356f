import { SqliteSql } from '../../src/store/sqlite-sql.js';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { migrate, pendingMigrations, readMigrations } from '../../src/store/migrate.js';
import { Store } from '../../src/store/store.js';
import { sampleMapping as mapping } from '../support/test-store.js';

function tempDb(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'meetsync-db-')), 'sub', 'meetsync.db');
}

function schemaOf(db: Database.Database): string {
  const rows = db
    .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name")
    .all() as Array<{ type: string; name: string; sql: string }>;
  return rows.map((r) => `-- ${r.type} ${r.name}\n${r.sql};`).join('\n\n') + '\n';
}


describe('store', () => {
  it('applies every migration to an empty database and matches the committed schema', async () => {
    const db = new Database(':memory:');
    const applied = migrate(new SqliteSql(db));
    expect(applied.map((m) => m.version)).toEqual(readMigrations().map((m) => m.version));
    await expect(schemaOf(db)).toMatchFileSnapshot('../snapshots/schema.sql');
  });

  it('applies nothing twice and records what it applied', () => {
    const db = new Database(':memory:');
    migrate(new SqliteSql(db));
    expect(migrate(new SqliteSql(db))).toEqual([]);
    const recorded = db.prepare('SELECT version FROM schema_migrations').pluck().all();
    expect(recorded).toEqual(readMigrations().map((m) => m.version));
  });

  it('migration 7 remembers the meetings that mappings of schema 6 say were kept', () => {
    const db = new Database(':memory:');
    migrate(new SqliteSql(db), readMigrations().filter((m) => m.version <= 6));
    const store = new Store(new SqliteSql(db));
    store.saveMapping({ ...mapping, eventId: 'kept', marker: 'meetsync:kept', meetingId: 'm-kept', meetingNumber: '111', state: 'kept', recurrence: null });
    store.saveMapping({ ...mapping, eventId: 'live', marker: 'meetsync:live', meetingId: 'm-live', meetingNumber: '222', state: 'active' });
    expect(migrate(new SqliteSql(db), readMigrations().filter((m) => m.version <= 7)).map((m) => m.version)).toEqual([7]);
    expect(store.keptMeetings()).toEqual([
      expect.objectContaining({ meetingId: 'm-kept', meetingNumber: '111', eventId: 'kept', marker: 'meetsync:kept', topic: 'Planning', recurrence: null }),
    ]);
    expect(store.isKeptMeeting('m-live')).toBe(false);
  });

  it('computes pending migrations from what is applied', () => {
    const all = [1, 2, 3].map((version) => ({ version, name: `m${version}`, sql: '' }));
    expect(pendingMigrations([1, 3], all).map((m) => m.version)).toEqual([2]);
    expect(pendingMigrations([], all)).toHaveLength(3);
  });

  it('rolls back a failing migration whole', () => {
    const db = new Database(':memory:');
    const bad = [
      { version: 1, name: 'ok', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, name: 'bad', sql: 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);' },
    ];
    expect(() => migrate(new SqliteSql(db), bad)).toThrow(/nowhere/);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toContain('a');
    expect(tables).not.toContain('b');
    expect(db.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual([1]);
  });

  it('creates the database file with mode 0600 and uses WAL', () => {
    const file = tempDb();
    const { db } = new Store(openDatabase(file));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a database written by a newer meetsync', () => {
    const file = tempDb();
    const sql = openDatabase(file);
    sql.run('INSERT INTO schema_migrations VALUES (999, ?, ?)', ['future', new Date().toISOString()]);
    sql.close();
    expect(() => openDatabase(file)).toThrow(/newer meetsync .*upgrade meetsync/);
  });

  it('round-trips a mapping and survives reopening', () => {
    const file = tempDb();
    const store = Store.open(file);
    store.saveMapping(mapping);
    store.saveMapping({ ...mapping, state: 'active', meetingId: '5e945c36b863b82cefdddf54', meetingNumber: '9974-7653-8886-0485' });
    store.close();
    const again = Store.open(file);
    const m = again.mapping(mapping)!;
    expect(m.state).toBe('active');
    expect(m.meetingNumber).toBe('9974-7653-8886-0485');
    expect(m.recurrence).toEqual(mapping.recurrence);
    expect(again.mappingsByMeeting('5e945c36b863b82cefdddf54').map((m) => m.eventId)).toEqual(['evt1']);
    again.close();
  });
});
