import { setTimeout as sleep } from 'node:timers/promises';
import { tryAdvisoryLock } from './advisory-lock.js';
import { FileLock } from './lock.js';
import { isPostgresUrl, shownUrl } from './database-target.js';

/**
 * The daemon lock: `<database>.daemon.lock`, the same kind of file as the cycle lock (lock.ts),
 * held by a `meetsync run` for its whole life. The cycle lock alone kept two cycles from
 * overlapping, but two daemons on one database still each ran a cycle on every tick the other
 * was idle at, doubling what the platform and the calendars were asked. With this lock one daemon
 * serves and a second one stands by; the OS drops the lock when the serving process ends, however
 * it ends (SIGKILL, a crash, a node lost), so the standby takes over without anyone deleting a file.
 * One-shot commands (`sync`, `reconcile`) do not take it: they wait for the cycle lock only.
 */

export function daemonLockFileOf(databaseFile: string): string {
  return `${databaseFile}.daemon.lock`;
}

export interface DaemonLock {
  release(): void;
}

export interface DaemonLockOptions {
  /** Aborted when the daemon is told to stop (SIGTERM, SIGINT): standing by ends at once, without the lock. */
  signal: AbortSignal;
  /** Called once, when another process holds the lock and this one starts standing by. */
  onStandby: (lockFile: string) => void;
  /** How often a standby tries to take the lock: the longest a takeover waits. @default 2000 */
  pollMs?: number;
}

/**
 * Takes the daemon lock of `databaseFile`, standing by while another process holds it. Resolves
 * with the lock, or undefined when `signal` was aborted first. An in-memory database belongs to
 * this process alone.
 */
export async function takeDaemonLock(databaseFile: string, options: DaemonLockOptions): Promise<DaemonLock | undefined> {
  if (databaseFile === ':memory:') return { release: () => undefined };
  const postgres = isPostgresUrl(databaseFile);
  const file = postgres ? `the daemon lock of ${shownUrl(databaseFile)}` : daemonLockFileOf(databaseFile);
  const tryLock = (): DaemonLock | undefined => (postgres ? tryAdvisoryLock(databaseFile, 'daemon') : FileLock.tryAcquire(file));
  let lock = tryLock();
  if (lock) return lock;
  options.onStandby(file);
  while (!lock) {
    try {
      await sleep(options.pollMs ?? 2_000, undefined, { signal: options.signal });
    } catch (err) {
      if (options.signal.aborted) return undefined;
      throw err;
    }
    lock = tryLock();
  }
  return lock;
}
