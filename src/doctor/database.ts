import { SqliteSql } from '../store/sqlite-sql.js';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describeError } from '../domain/errors.js';
import { NewerSchemaError, readMigrations } from '../store/migrate.js';
import { checkSchema } from '../store/schema-check.js';
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

export function checkDatabase(file: string): Check[] {
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

function schema(file: string): Check {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
  } catch (err) {
    return fail(SUBJECT, `${file} cannot be opened: ${describeError(err)}`, `check ${KEY} and the file's owner and mode`);
  }
  try {
    const all = readMigrations();
    checkSchema(new SqliteSql(db), all);
    const hasRecords = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
    const applied = hasRecords ? (db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]) : [];
    const newest = Math.max(0, ...applied);
    const pending = all.filter((m) => !applied.includes(m.version));
    if (pending.length === 0) return ok(SUBJECT, `schema ${newest}, migrations current`);
    const names = pending.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`).join(', ');
    return warn(SUBJECT, `schema ${newest}: migration${pending.length === 1 ? '' : 's'} ${names} not applied yet`, 'they are applied at the next start of meetsync (sync or run); back the file up first if you like');
  } catch (err) {
    if (err instanceof NewerSchemaError) {
      return fail(SUBJECT, `schema ${err.newest} was written by a newer meetsync (this one knows ${err.latestKnown})`, 'upgrade meetsync, or restore a backup made by this version');
    }
    const { detail, remedy } = splitRemedy(describeError(err), `restore a backup, or point ${KEY} at the right file`);
    return fail(SUBJECT, detail, remedy);
  } finally {
    db.close();
  }
}
