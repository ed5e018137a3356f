import { existsSync } from 'node:fs';

/**
 * What the `database` key names: an SQLite file (or ':memory:') or a PostgreSQL database by its
 * postgres:// URL (issue 17). Light: the CLI asks before it loads a database driver.
 */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** A postgres:// URL as it may be shown in messages and logs: without its password. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unreadable URL)';
  }
}

/** The database as it may be shown: a file path as it is, a URL without its password. */
export function shownDatabase(target: string): string {
  return isPostgresUrl(target) ? shownUrl(target) : target;
}

/** Whether there is a database to read: a file that exists, or a server's database (connecting tells). */
export function databaseExists(target: string): boolean {
  return target === ':memory:' || isPostgresUrl(target) || existsSync(target);
}
