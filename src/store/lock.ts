import { readFileSync, truncateSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { DatabaseError, MeetsyncError } from '../domain/errors.js';
import { tryAdvisoryLock } from './advisory-lock.js';
import { isPostgresUrl } from './database-target.js';

/** Another meetsync process is running a sync cycle on this database: two at once could create a meeting twice. */
export class LockedError extends MeetsyncError {}

/**
 * The cycle lock: `<database>.lock`, an SQLite file (empty; nothing is ever written to it) in
 * which the holder keeps a `BEGIN EXCLUSIVE` transaction open. SQLite takes an OS lock on the
 * file for it, and the OS drops that lock when the process ends, however it ends: a SIGKILLed or
 * crashed holder never blocks the next cycle, and there is no owner to guess from the file's
 * content (a pid file read between its creation and its write looks like a dead owner, and two
 * processes took it). It is held for one cycle at a time, so `meetsync sync` runs between the
 * cycles of a `meetsync run` daemon.
 *
 * The file is only ever opened through SQLite: closing any other descriptor on it would drop
 * this process's POSIX locks on it (fcntl semantics), and SQLite's bookkeeping is what avoids that.
 * The daemon lock (daemon-lock.ts) is the same kind of file, held for a daemon's whole life.
 */
export class FileLock {
  private constructor(private readonly db: Database.Database) {}

  /** The lock, or undefined when another connection holds it. */
  static tryAcquire(file: string): FileLock | undefined {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      // timeout 0: answer SQLITE_BUSY at once instead of waiting in SQLite's busy handler.
      const db = new Database(file, { timeout: 0 });
      try {
        db.exec('BEGIN EXCLUSIVE');
        return new FileLock(db);
      } catch (err) {
        db.close();
        const code = (err as { code?: string }).code;
        if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return undefined;
        if (code !== 'SQLITE_NOTADB' || attempt > 0) throw err;
        clearPidLockFile(file);
      }
    }
    return undefined;
  }

  release(): void {
    try {
      this.db.exec('ROLLBACK');
    } finally {
      this.db.close();
    }
  }
}

/**
 * Before this lock, meetsync wrote its pid into `<database>.lock`; a crash left the file behind,
 * and SQLite cannot open it. It is emptied in place (the same file, so a process that opened it
 * meanwhile still locks the one this process locks), unless that older meetsync still runs.
 */
function clearPidLockFile(file: string): void {
  const text = readFileSync(file, 'utf8');
  if (!/^\s*\d*\s*$/.test(text)) throw new DatabaseError(`${file} is not a meetsync lock file; remove it if no meetsync is running`);
  const pid = Number(text.trim());
  if (pid > 0 && pid !== process.pid && isAlive(pid)) {
    throw new LockedError(`an older meetsync (pid ${pid}) is running on this database; stop it before running this version`);
  }
  truncateSync(file, 0);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockFileOf(databaseFile: string): string {
  return `${databaseFile}.lock`;
}

export interface CycleLockOptions {
  /** Wait for the cycle running elsewhere to finish (true), or throw LockedError at once (false). */
  wait: boolean;
  /** Called once, when the lock is busy and this process starts waiting. */
  onWait?: () => void;
  /** How often a waiting process tries again. @default 250 */
  pollMs?: number;
  /** With `wait: false`: the LockedError's message when the lock is busy, instead of the sync command's. */
  busyMessage?: string;
}

/**
 * Runs `cycle` holding the cycle lock of `databaseFile`, so that no two sync cycles run on one
 * database at once, across processes. Busy: waits (polling, so the event loop and signals go on)
 * or throws LockedError. An in-memory database has no other process to exclude.
 */
export async function withCycleLock<T>(databaseFile: string, cycle: () => Promise<T>, options: CycleLockOptions): Promise<T> {
  if (databaseFile === ':memory:') return cycle();
  const tryLock = (): { release(): void } | undefined => (isPostgresUrl(databaseFile) ? tryAdvisoryLock(databaseFile, 'cycle') : FileLock.tryAcquire(lockFileOf(databaseFile)));
  let lock = tryLock();
  if (!lock && !options.wait) {
    throw new LockedError(options.busyMessage ?? 'another meetsync process is running a sync cycle on this database; try again later, or leave out --no-wait to wait for it');
  }
  if (!lock) options.onWait?.();
  while (!lock) {
    await sleep(options.pollMs ?? 250);
    lock = tryLock();
  }
  try {
    return await cycle();
  } finally {
    lock.release();
  }
}
