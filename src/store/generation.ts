import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Store } from './store.js';

/**
 * Whether this database is older than one meetsync wrote before: restored from a backup, or
 * replaced by an older copy (issue 15). Each cycle counts up a generation in the database
 * (engine_state), and keeps a sign of where it wrote it outside of what a backup restores:
 *
 * - SQLite: the generation again, in a file beside the database (`<database>.generation`). A
 *   database whose generation is below the file's has lost cycles that the platform has not. A
 *   backup taken of the database alone (the usual case) leaves the file newer. An in-memory
 *   database has no file.
 * - PostgreSQL: there is no file beside a server's database, and replicas run on several machines.
 *   Each cycle records where the database lives: the cluster's system identifier and timeline
 *   (pg_control_system, pg_control_checkpoint), the database's and the engine_state table's
 *   object ids. A restore changes one of them: pg_restore or a copy into a new database (new
 *   oids), pg_restore --clean into the same one (new table oids), a point-in-time recovery or a
 *   failover that lost commits (a new timeline). A database that no longer lives where its last
 *   cycle recorded may be older than what the platform holds. A copy made on purpose (`meetsync
 *   db copy`, a failover that lost nothing) is taken for one too: the first cycle then compares
 *   the feeds once, which costs reads and changes nothing that is in step.
 *
 * What then happens (sync/restored.ts) is owed by every configured calendar, whichever replica
 * serves it: the cycle that finds the restore records one check per calendar (engine_state
 * `restore-check:`), each replica does those of the calendars it serves, and the generation
 * advances at once (the checks hold what is owed).
 */

const KEY = 'generation';
const WHERE = 'generation-where';

export interface Generations {
  database: number;
  /** The file's, or undefined when there is none (a first start, or an in-memory database). */
  file?: number;
  /** PostgreSQL: where the last cycle wrote (as recorded in the database) and where it is now. */
  where?: { recorded?: string; now: string };
}

function sidecarOf(store: Store): string | undefined {
  return store.file ? `${store.file}.generation` : undefined;
}

/** Where a PostgreSQL database lives now (see above); the cluster's part only where this role may read it. */
function whereOnPostgres(store: Store): string {
  const { sql } = store;
  const local = sql.get<{ db: string; tbl: string }>(
    "SELECT (SELECT oid::text FROM pg_database WHERE datname = current_database()) AS db, 'engine_state'::regclass::oid::text AS tbl",
  )!;
  let cluster = '';
  try {
    const row = sql.get<{ system: string; timeline: string }>(
      'SELECT (SELECT system_identifier::text FROM pg_control_system()) AS system, (SELECT timeline_id::text FROM pg_control_checkpoint()) AS timeline',
    );
    if (row) cluster = `system ${row.system} timeline ${row.timeline} `;
  } catch {
    // A managed service may refuse these functions to this role: the oids still tell a pg_restore.
  }
  return `${cluster}database ${local.db} table ${local.tbl}`;
}

export function readGenerations(store: Store): Generations {
  const database = Number(store.engineState(KEY) ?? '0');
  if (store.sql.dialect === 'postgres') {
    const recorded = store.engineState(WHERE);
    return { database, where: { ...(recorded === undefined ? {} : { recorded }), now: whereOnPostgres(store) } };
  }
  const sidecar = sidecarOf(store);
  if (!sidecar) return { database };
  try {
    const file = Number(readFileSync(sidecar, 'utf8').trim());
    return Number.isFinite(file) ? { database, file } : { database };
  } catch {
    return { database };
  }
}

export function isOlderThanWritten(g: Generations): boolean {
  if (g.where) return g.where.recorded !== undefined && g.where.recorded !== g.where.now;
  return g.file !== undefined && g.database < g.file;
}

/** One more cycle: the database first, then the file (a crash between leaves the file behind, which is no restore). */
export function advanceGeneration(store: Store, g: Generations): void {
  const next = Math.max(g.database, g.file ?? 0) + 1;
  store.setEngineState(KEY, String(next));
  if (g.where) {
    if (g.where.recorded !== g.where.now) store.setEngineState(WHERE, g.where.now);
    return;
  }
  const sidecar = sidecarOf(store);
  if (!sidecar) return;
  try {
    writeFileSync(`${sidecar}.tmp`, `${next}\n`);
    renameSync(`${sidecar}.tmp`, sidecar);
  } catch {
    // A folder meetsync cannot write to fails the database first; nothing to add here.
  }
}

const CHECK = 'restore-check:';

/** A calendar's name among the checks owed (a PostgreSQL text holds no NUL: the pair as JSON). */
const checkKey = (source: string, calendarId: string) => `${CHECK}${JSON.stringify([source, calendarId])}`;

/** Records that each of `calendars` owes the comparison after a restore. */
export function oweRestoreChecks(store: Store, calendars: ReadonlyArray<{ source: string; calendarId: string }>, at: string): void {
  store.transaction(() => calendars.forEach((c) => store.setEngineState(checkKey(c.source, c.calendarId), at)));
}

/** The calendars that owe the comparison after a restore. */
export function restoreChecksOwed(store: Store): Array<{ source: string; calendarId: string }> {
  return store.engineStatesNamed(CHECK).map((name) => {
    const [source, calendarId] = JSON.parse(name.slice(CHECK.length)) as [string, string];
    return { source, calendarId };
  });
}

/** `calendars` compared: nothing more owed for them. */
export function restoreChecksDone(store: Store, calendars: ReadonlyArray<{ source: string; calendarId: string }>): void {
  store.transaction(() => calendars.forEach((c) => store.clearEngineState(checkKey(c.source, c.calendarId))));
}
