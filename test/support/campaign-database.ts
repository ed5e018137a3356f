import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { copyStore } from '../../src/store/copy.js';
import { Store } from '../../src/store/store.js';
import { freshPostgresDatabase } from './postgres.js';

/**
 * The database of the crash and fault campaigns (test/campaign/crash.test.ts, fault.test.ts), on
 * the store the engine's tests run on (test/support/test-store.ts: MEETSYNC_TEST_STORE=postgres
 * for PostgreSQL), and issue 15's steps between runs on it, with meetsync stopped:
 *
 * - SQLite: a file. A copy is of its files as they are (a killed run's WAL included), or, taken
 *   from a store open in the test, VACUUM INTO; a loss deletes the files (the lock file and the
 *   `.generation` file beside it stay); a restore puts a copy's files in their place.
 * - PostgreSQL (issue 17): a copy is `copyStore` into a new database on the test server (what
 *   `meetsync db copy --to <url>` does); a loss points meetsync at a new, empty database; a
 *   restore copies a copy into another new database and points meetsync at it. `target` is the
 *   database in use; a campaign that runs the CLI writes it into the config (`database:`).
 *
 * `close` drops every PostgreSQL database it made.
 */
export class CampaignDatabase {
  private readonly copies: string[] = [];
  private readonly made: Array<{ url: string; drop(): Promise<void> }> = [];

  private constructor(
    readonly dialect: 'sqlite' | 'postgres',
    /** The database in use: the file, or the URL. */
    private current: string,
    /** SQLite: where the copies go. */
    private readonly dir: string,
  ) {}

  /** The store MEETSYNC_TEST_STORE names: SQLite at `file` (its copies in `dir`), or a new PostgreSQL database. */
  static async create(file: string, dir: string): Promise<CampaignDatabase> {
    if (process.env.MEETSYNC_TEST_STORE !== 'postgres') return new CampaignDatabase('sqlite', file, dir);
    const db = new CampaignDatabase('postgres', '', dir);
    db.current = await db.fresh();
    return db;
  }

  /** What meetsync's `database:` says now. */
  get target(): string {
    return this.current;
  }

  /** Opens the database in use (SQLite: creates the file when it is missing, as meetsync's start would). */
  open(): Store {
    return Store.open(this.current);
  }

  /** How many copies `backup` took. */
  get backups(): number {
    return this.copies.length;
  }

  /**
   * A copy of the database as it is between two runs, as a backup job takes it; returns its
   * number (0: the first). `from`: the store the test holds open on it (SQLite: copied with VACUUM
   * INTO rather than file by file; PostgreSQL: read through it).
   */
  async backup(from?: Store): Promise<number> {
    if (this.dialect === 'postgres') {
      const url = await this.fresh();
      withStores(from, this.current, url, (source, target) => copyStore(source, target));
      return this.copies.push(url) - 1;
    }
    const dir = path.join(this.dir, 'backups', String(this.copies.length));
    mkdirSync(dir, { recursive: true });
    if (from) from.db.exec(`VACUUM INTO '${path.join(dir, path.basename(this.current))}'`);
    else for (const file of this.files()) if (existsSync(file)) copyFileSync(file, path.join(dir, path.basename(file)));
    return this.copies.push(dir) - 1;
  }

  /** The database lost: meetsync's next start is on an empty database. Close every store on it first. */
  async lose(): Promise<void> {
    if (this.dialect === 'postgres') this.current = await this.fresh();
    else for (const file of this.files()) rmSync(file, { force: true });
  }

  /** The database replaced by copy `n` of those `backup` took. Close every store on it first. */
  async restore(n: number): Promise<void> {
    const copy = this.copies[n];
    if (copy === undefined) throw new Error(`no copy ${n}: ${this.copies.length} taken`);
    if (this.dialect === 'postgres') {
      const url = await this.fresh();
      withStores(undefined, copy, url, (source, target) => copyStore(source, target));
      this.current = url;
      return;
    }
    for (const file of this.files()) rmSync(file, { force: true });
    for (const name of readdirSync(copy)) copyFileSync(path.join(copy, name), path.join(path.dirname(this.current), name));
  }

  /**
   * After a meetsync process was SIGKILLed: on PostgreSQL its calendar leases and its row among
   * the replicas (store/leases.ts) stay until they expire (`replicas.leaseSeconds` after its last
   * renewal); until then, the next process could claim none of its calendars, or only a share.
   * Waits until they have expired. Nothing to wait for on SQLite (the cycle lock is the file's,
   * released with the process).
   */
  async waitOutLeases(leaseMs: number): Promise<void> {
    if (this.dialect !== 'postgres') return;
    // Read with a plain client, not a Store: opening one would create the schema of a database
    // whose first start was killed before it had (the next start must do that itself).
    const client = new pg.Client({ connectionString: this.current });
    await client.connect();
    let until = 0;
    try {
      const { rows } = await client.query<{ tables: boolean }>("SELECT to_regclass('calendar_leases') IS NOT NULL AND to_regclass('replicas') IS NOT NULL AS tables");
      if (rows[0]?.tables) {
        const { rows: times } = await client.query<{ expires: string | null; seen: string | null }>(
          'SELECT (SELECT MAX(expires_at) FROM calendar_leases) AS expires, (SELECT MAX(seen_at) FROM replicas) AS seen',
        );
        const { expires, seen } = times[0]!;
        until = Math.max(expires ? Date.parse(expires) : 0, seen ? Date.parse(seen) + leaseMs : 0);
      }
    } finally {
      await client.end();
    }
    // The database's clock is this machine's (the test server runs here); a little more, for the rounding to ms.
    const wait = until + 20 - Date.now();
    if (wait > 0) await sleep(wait);
  }

  /** Drops every PostgreSQL database made here. */
  async close(): Promise<void> {
    await Promise.all(this.made.map((db) => db.drop()));
  }

  /** SQLite's files (WAL mode: the -wal and -shm files hold committed pages too). */
  private files(): string[] {
    return ['', '-wal', '-shm'].map((suffix) => `${this.current}${suffix}`);
  }

  private async fresh(): Promise<string> {
    const db = await freshPostgresDatabase();
    this.made.push(db);
    return db.url;
  }
}

/** `fn` with a store on `from` (the one given, or one opened on `fromTarget`) and one opened on `to`; closes those it opened. */
function withStores<T>(from: Store | undefined, fromTarget: string, to: string, fn: (source: Store, target: Store) => T): T {
  const source = from ?? Store.open(fromTarget);
  try {
    const target = Store.open(to);
    try {
      return fn(source, target);
    } finally {
      target.close();
    }
  } finally {
    if (!from) source.close();
  }
}
