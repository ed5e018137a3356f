import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../support/postgres.js';

// migrations/postgres/ mirrors migrations/ (issue 17): the same numbered files, giving PostgreSQL the
// schema SQLite gets. Compared here on a real server (test/support/postgres.ts): tables, columns in
// order with nullability, a type class and defaults, primary keys, unique constraints and indexes
// (partial ones with their WHERE). CHECK constraints are not compared.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SQLITE_DIR = path.join(ROOT, 'migrations');
const POSTGRES_DIR = path.join(ROOT, 'migrations', 'postgres');
const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Integer columns that may hold values beyond 2^31, hence BIGINT (a string from `pg`): none today. */
const BIGINT_COLUMNS = new Set<string>([]);

interface MigrationFile {
  version: number;
  name: string;
  file: string;
  sql: string;
}

function listMigrations(dir: string): MigrationFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.sql'))
    .map((entry) => {
      const match = FILE.exec(entry.name);
      if (!match) throw new Error(`${path.join(dir, entry.name)} is not named like 0001_name.sql`);
      return { version: Number(match[1]), name: match[2]!, file: entry.name, sql: readFileSync(path.join(dir, entry.name), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
}

type TypeClass = 'integer' | 'text' | 'real' | `other:${string}`;

interface ColumnShape {
  name: string;
  type: TypeClass;
  notNull: boolean;
  default: string | null;
  /** SQLite's INTEGER PRIMARY KEY (a rowid alias, given a value when none is inserted); PostgreSQL's identity column. */
  generated: boolean;
}

interface IndexShape {
  /** null for the index of a UNIQUE constraint: SQLite names it sqlite_autoindex_..., PostgreSQL ..._key. */
  name: string | null;
  columns: string[];
  unique: boolean;
  /** The partial index's WHERE, normalized (lower case, no parentheses, casts or spaces); null when not partial. */
  where: string | null;
}

interface TableShape {
  name: string;
  columns: ColumnShape[];
  primaryKey: string[];
  indexes: IndexShape[];
}

/** Text of a WHERE or a default, without what PostgreSQL adds when it prints it back: casts, parentheses, spacing. */
function normalizeExpression(sql: string): string {
  return sql
    .replace(/::[a-z ]+/gi, '')
    .replace(/[()\s]/g, '')
    .toLowerCase();
}

function byName<T extends { name: string | null; columns?: string[] }>(a: T, b: T): number {
  const key = (x: T): string => `${x.name ?? ''}\u0000${(x.columns ?? []).join(',')}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

function sqliteTypeClass(declared: string): TypeClass {
  const type = declared.toUpperCase();
  if (type.includes('INT')) return 'integer';
  if (/CHAR|CLOB|TEXT/.test(type)) return 'text';
  if (/REAL|FLOA|DOUB/.test(type)) return 'real';
  return `other:${declared}`;
}

function postgresTypeClass(dataType: string): TypeClass {
  if (['integer', 'bigint', 'smallint'].includes(dataType)) return 'integer';
  if (['text', 'character varying', 'character'].includes(dataType)) return 'text';
  if (['real', 'double precision', 'numeric'].includes(dataType)) return 'real';
  return `other:${dataType}`;
}

function sqliteSchema(db: Database.Database): TableShape[] {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  return tables.map((table) => {
    const info = db.prepare(`PRAGMA table_info(${JSON.stringify(table)})`).all() as Array<{
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }>;
    const primaryKey = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    const rowidAlias = primaryKey.length === 1 ? info.find((c) => c.name === primaryKey[0] && c.type.toUpperCase() === 'INTEGER')?.name : undefined;
    const columns: ColumnShape[] = info.map((c) => ({
      name: c.name,
      type: sqliteTypeClass(c.type),
      // SQLite lets a non-INTEGER primary key column hold NULL unless it says NOT NULL (a legacy quirk);
      // meetsync never stores one, and PostgreSQL's primary keys are NOT NULL: compared as such.
      notNull: c.notnull === 1 || c.pk > 0,
      default: c.dflt_value === null ? null : normalizeExpression(c.dflt_value),
      generated: c.name === rowidAlias,
    }));
    const indexList = db.prepare(`PRAGMA index_list(${JSON.stringify(table)})`).all() as Array<{
      name: string;
      unique: number;
      origin: 'c' | 'u' | 'pk';
      partial: number;
    }>;
    const indexes: IndexShape[] = indexList
      .filter((index) => index.origin !== 'pk') // the primary key, compared as primaryKey
      .map((index) => {
        const indexColumns = (db.prepare(`PRAGMA index_info(${JSON.stringify(index.name)})`).all() as Array<{ seqno: number; name: string }>)
          .sort((a, b) => a.seqno - b.seqno)
          .map((c) => c.name);
        let where: string | null = null;
        if (index.partial === 1) {
          const sql = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").pluck().get(index.name) as string;
          const match = /\bWHERE\b([\s\S]*)$/i.exec(sql);
          where = normalizeExpression(match?.[1] ?? `unreadable WHERE in ${sql}`);
        }
        return { name: index.origin === 'u' ? null : index.name, columns: indexColumns, unique: index.unique === 1, where };
      })
      .sort(byName);
    return { name: table, columns, primaryKey, indexes };
  });
}

async function postgresSchema(client: pg.Client): Promise<TableShape[]> {
  const tables = (
    await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name COLLATE \"C\"",
    )
  ).rows.map((r) => r.name);
  const shapes: TableShape[] = [];
  for (const table of tables) {
    const columns = (
      await client.query<{ name: string; data_type: string; is_nullable: string; column_default: string | null; is_identity: string }>(
        `SELECT column_name AS name, data_type, is_nullable, column_default, is_identity
           FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [table],
      )
    ).rows.map(
      (c): ColumnShape => ({
        name: c.name,
        type: postgresTypeClass(c.data_type),
        notNull: c.is_nullable === 'NO',
        default: c.column_default === null ? null : normalizeExpression(c.column_default),
        generated: c.is_identity === 'YES',
      }),
    );
    const indexes = (
      await client.query<{ name: string; columns: string[]; unique: boolean; primary: boolean; constraint_type: string | null; predicate: string | null }>(
        `SELECT i.relname AS name,
                ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                        JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns,
                x.indisunique AS unique, x.indisprimary AS primary,
                (SELECT c.contype::text FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid) AS constraint_type,
                pg_get_expr(x.indpred, x.indrelid) AS predicate
           FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_namespace ns ON ns.oid = t.relnamespace
          WHERE ns.nspname = 'public' AND t.relname = $1`,
        [table],
      )
    ).rows;
    const primary = indexes.filter((index) => index.primary);
    shapes.push({
      name: table,
      columns,
      primaryKey: primary[0]?.columns ?? [],
      indexes: indexes
        .filter((index) => !index.primary)
        .map(
          (index): IndexShape => ({
            name: index.constraint_type === 'u' ? null : index.name,
            columns: index.columns,
            unique: index.unique,
            where: index.predicate === null ? null : normalizeExpression(index.predicate),
          }),
        )
        .sort(byName),
    });
    if (primary.length > 1) throw new Error(`${table} has ${primary.length} primary keys`);
  }
  return shapes;
}

async function applyPostgres(client: pg.Client, migrations: readonly MigrationFile[]): Promise<void> {
  for (const migration of migrations) {
    await client.query('BEGIN');
    try {
      await client.query(migration.sql);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw new Error(`migrations/postgres/${migration.file} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function applySqlite(db: Database.Database, migrations: readonly MigrationFile[]): void {
  for (const migration of migrations) db.transaction(() => db.exec(migration.sql))();
}

describe('PostgreSQL migrations (migrations/postgres/)', () => {
  const sqliteMigrations = listMigrations(SQLITE_DIR);
  const postgresMigrations = listMigrations(POSTGRES_DIR);

  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function freshClient(): Promise<pg.Client> {
    const db = await freshPostgresDatabase();
    cleanups.push(() => db.drop());
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanups.push(() => client.end());
    return client;
  }

  function sqliteMemory(): Database.Database {
    const db = new Database(':memory:');
    cleanups.push(() => {
      db.close();
    });
    return db;
  }

  it('are the same versions with the same names as the SQLite migrations, each saying so on its first line', () => {
    expect(sqliteMigrations.length).toBeGreaterThan(0);
    expect(postgresMigrations.map((m) => m.file)).toEqual(sqliteMigrations.map((m) => m.file));
    expect(sqliteMigrations.map((m) => m.version)).toEqual(sqliteMigrations.map((_, i) => i + 1));
    for (const migration of postgresMigrations) {
      expect(migration.sql.split('\n')[0], migration.file).toMatch(new RegExp(`^-- PostgreSQL form of the SQLite migration ${migration.file}\\b`));
    }
  });

  it('apply in order to a fresh database and give the schema the SQLite migrations give', async () => {
    const sqlite = sqliteMemory();
    applySqlite(sqlite, sqliteMigrations);
    const expected = sqliteSchema(sqlite);

    const client = await freshClient();
    await applyPostgres(client, postgresMigrations);
    const actual = await postgresSchema(client);

    expect(expected.length).toBeGreaterThan(5);
    expect(actual.map((t) => t.name)).toEqual(expected.map((t) => t.name));
    for (const table of expected) {
      expect(actual.find((t) => t.name === table.name), table.name).toEqual(table);
    }
  });

  it('use int4 for integers (a JS number from pg), BIGINT only where listed as needing it', async () => {
    const client = await freshClient();
    await applyPostgres(client, postgresMigrations);
    const integers = (
      await client.query<{ column: string; data_type: string }>(
        `SELECT table_name || '.' || column_name AS column, data_type FROM information_schema.columns
          WHERE table_schema = 'public' AND data_type IN ('integer', 'bigint', 'smallint') ORDER BY 1`,
      )
    ).rows;
    expect(integers.length).toBeGreaterThan(0);
    for (const { column, data_type } of integers) {
      expect(data_type, column).toBe(BIGINT_COLUMNS.has(column) ? 'bigint' : 'integer');
    }
  });

  it('carry rows across the upgrades as SQLite does (0002 drops attendee-copy notes, 0007 copies kept meetings)', async () => {
    const sqlite = sqliteMemory();
    const client = await freshClient();
    applySqlite(sqlite, sqliteMigrations.slice(0, 1));
    await applyPostgres(client, postgresMigrations.slice(0, 1));

    const mapping = (event: string, state: string, meetingId: string | null): unknown[] => [
      'google', 'cal', event, `uid-${event}`, 'ann@example.com', 'u1', `marker-${event}`, meetingId, meetingId ? `n-${event}` : null,
      state, `Topic ${event}`, '2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z', 'Europe/Paris', null, 'done', null,
      '2025-12-01T00:00:00.000Z', `2025-12-02T00:00:00.${event.length}Z`,
    ];
    const rows = [mapping('e1', 'kept', 'm1'), mapping('e2', 'kept', null), mapping('e3', 'active', 'm3')];
    const notes = [
      ['google', 'cal', 'n1', 'skipped', "attendee's copy: organized by someone else", '', null, null, null, 0, '2025-12-01T00:00:00.000Z'],
      ['google', 'cal', 'n2', 'skipped', 'not tagged', 'Lunch', null, null, null, 0, '2025-12-01T00:00:00.000Z'],
      ['google', 'cal', 'n3', 'failed', 'platform 503', 'Standup', '2026-01-02T09:00:00.000Z', null, null, 1, '2025-12-01T00:00:00.000Z'],
    ];
    const insertMapping = `INSERT INTO mappings (source, calendar_id, event_id, ical_uid, organizer_email, user_id, marker, meeting_id,
      meeting_number, state, topic, start_at, end_at, time_zone, recurrence, write_back, last_error, created_at, updated_at)
      VALUES (${Array.from({ length: 19 }, (_, i) => `$${i + 1}`).join(', ')})`;
    const insertNote = `INSERT INTO event_notes (source, calendar_id, event_id, kind, reason, title, start_at, series_id,
      awaiting_organizer, retry, updated_at) VALUES (${Array.from({ length: 11 }, (_, i) => `$${i + 1}`).join(', ')})`;
    for (const row of rows) {
      sqlite.prepare(insertMapping.replace(/\$\d+/g, '?')).run(...row);
      await client.query(insertMapping, row);
    }
    for (const note of notes) {
      sqlite.prepare(insertNote.replace(/\$\d+/g, '?')).run(...note);
      await client.query(insertNote, note);
    }

    applySqlite(sqlite, sqliteMigrations.slice(1));
    await applyPostgres(client, postgresMigrations.slice(1));

    for (const query of [
      'SELECT * FROM event_notes ORDER BY event_id',
      'SELECT * FROM kept_meetings ORDER BY meeting_id',
      'SELECT * FROM mappings ORDER BY event_id',
    ]) {
      const inSqlite = sqlite.prepare(query).all();
      const inPostgres = (await client.query(query)).rows;
      expect(inPostgres, query).toEqual(inSqlite);
    }
    expect((await client.query('SELECT meeting_id FROM kept_meetings')).rows).toEqual([{ meeting_id: 'm1' }]);
    expect((await client.query('SELECT event_id FROM event_notes ORDER BY event_id')).rows).toEqual([{ event_id: 'n2' }, { event_id: 'n3' }]);
  });
});
