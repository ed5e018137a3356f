import { SqliteSql } from '../store/sqlite-sql.js';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describeError } from '../domain/errors.js';
import { NewerSchemaError, readMigrations } from '../store/migrate.js';
import { checkSchema } from '../store/schema-check.js';
import { isPostgresUrl, shownUrl } from '../store/database-target.js';
import type { Sql } from '../store/sql.js';
import { openReadOnly } from './read-only.js';
import { fail, ok, splitRemedy, warn, type Check } from './check.js';

/**
 * The database as `meetsync sync` will find it, looked at without changing it: not created when
 * absent, opened read-only when present (a running daemon is not disturbed), no migration applied.
 */

const SUBJECT = 'database';
const KEY = "the 'database' key";

function writable(p: string): boolean {
  try {
    accessSync(p, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The nearest folder of `file` that exists: where the missing ones would be created. */
function nearestExisting(file: string): string {
  let dir = path.dirname(file);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export async function checkDatabase(file: string): Promise<Check[]> {
  if (isPostgresUrl(file)) return [await postgresSchema(file)];
  if (file === ':memory:') {
    return [warn(SUBJECT, 'in memory: every run starts empty, so nothing proves a meeting was already created', `set ${KEY} to a file path`)];
  }
  if (!existsSync(file)) return [absent(file)];
  const st = statSync(file);
  if (!st.isFile()) return [fail(SUBJECT, `${file} is not a regular file`, `point ${KEY} at a file path`)];
  const checks: Check[] = [];
  const mode = st.mode & 0o777;
  const modeText = `0${mode.toString(8)}`;
  checks.push(
    (mode & 0o077) === 0
      ? ok(SUBJECT, `${file}: mode ${modeText}`)
      : fail(SUBJECT, `${file}: mode ${modeText}, other users of this machine can read every organizer's meetings`, `chmod 600 ${file}`),
  );
  const folder = path.dirname(file);
  if (!writable(file)) checks.push(fail(SUBJECT, `${file} is not writable by this user`, `give the file to the user meetsync runs as (chown), or run meetsync as its owner`));
  else if (!writable(folder)) {
    checks.push(fail(SUBJECT, `${folder} is not writable by this user (SQLite writes its journal and meetsync its cycle and daemon locks beside the database)`, `give the folder to the user meetsync runs as`));
  } else checks.push(ok(SUBJECT, `${file} and its folder are writable`));
  checks.push(schema(file));
  return checks;
}

function absent(file: string): Check {
  const dir = nearestExisting(file);
  if (!statSync(dir).isDirectory()) return fail(SUBJECT, `${file} cannot be created: ${dir} is a file, not a folder`, `change ${KEY}`);
  if (!writable(dir)) {
    return fail(SUBJECT, `${file} does not exist and cannot be created: ${dir} is not writable by this user`, `create ${path.dirname(file)} for the user meetsync runs as, or change ${KEY}`);
  }
  return ok(SUBJECT, `${file} does not exist yet: it will be created on first sync (${dir} is writable)`);
}

/** A PostgreSQL database (issue 17): reachable, and empty or meetsync's of a schema this meetsync knows. */
async function postgresSchema(url: string): Promise<Check> {
  const shown = shownUrl(url);
  let sql: Sql | undefined;
  try {
    sql = await openReadOnly(url);
  } catch (err) {
    return fail(SUBJECT, `${shown} cannot be reached: ${describeError(err)}`, `check ${KEY}, that the server runs and accepts this role, and its password`);
  }
  try {
    return schemaOf(sql!, readMigrations('postgres'), shown, 'back the database up first if you like');
  } finally {
    sql?.close();
  }
}

/** The schema check of an open database, as a line: current, migrations pending, or what is wrong. */
function schemaOf(sql: Sql, all: ReturnType<typeof readMigrations>, shown: string, backup: string): Check {
  try {
    checkSchema(sql, all);
    const hasRecords = sql.dialect === 'sqlite'
      ? sql.get("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") !== undefined
      : sql.get("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'") !== undefined;
    if (!hasRecords && sql.dialect === 'postgres') return ok(SUBJECT, `${shown} is empty: meetsync creates its tables on first sync`);
    const applied = hasRecords ? sql.all<{ version: number }>('SELECT version FROM schema_migrations').map((r) => Number(r.version)) : [];
    const newest = Math.max(0, ...applied);
    const pending = all.filter((m) => !applied.includes(m.version));
    const where = sql.dialect === 'postgres' ? `${shown}: ` : '';
    if (pending.length === 0) return ok(SUBJECT, `${where}schema ${newest}, migrations current`);
    const names = pending.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`).join(', ');
    return warn(SUBJECT, `${where}schema ${newest}: migration${pending.length === 1 ? '' : 's'} ${names} not applied yet`, `they are applied at the next start of meetsync (sync or run); ${backup}`);
  } catch (err) {
    if (err instanceof NewerSchemaError) {
      return fail(SUBJECT, `schema ${err.newest} was written by a newer meetsync (this one knows ${err.latestKnown})`, 'upgrade meetsync, or restore a backup made by this version');
    }
    const { detail, remedy } = splitRemedy(describeError(err), `restore a backup, or point ${KEY} at the right ${sql.dialect === 'sqlite' ? 'file' : 'database'}`);
    return fail(SUBJECT, detail, remedy);
  }
}

function schema(file: string): Check {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
  } catch (err) {
    return fail(SUBJECT, `${file} cannot be opened: ${describeError(err)}`, `check ${KEY} and the file's owner and mode`);
  }
  try {
    return schemaOf(new SqliteSql(db), readMigrations(), file, 'back the file up first if you like');
  } finally {
    db.close();
  }
}
