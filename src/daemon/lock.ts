import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { MeetsyncError } from '../domain/errors.js';

/** Another meetsync process holds the database: two cycles at once could create a meeting twice. */
export class LockedError extends MeetsyncError {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock file beside the database (`<database>.lock`, holding the owner's pid), so that
 * `meetsync sync` and `meetsync run` never run cycles on one database at the same time.
 * A lock left by a process that died (SIGKILL, power loss) is taken over.
 */
export function acquireLock(databaseFile: string): () => void {
  const file = `${databaseFile}.lock`;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new LockedError(`another meetsync process (pid ${owner}) is syncing this database; wait for it or stop it`);
      }
      unlinkSync(file);
    }
  }
  throw new LockedError(`cannot take the lock ${file}; remove it if no meetsync is running`);
}
