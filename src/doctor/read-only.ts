import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { isPostgresUrl } from '../store/database-target.js';
import type { Sql } from '../store/sql.js';
import { SqliteSql } from '../store/sqlite-sql.js';

/**
 * The database as the doctor reads it: without creating it or changing it. An SQLite file opened
 * read-only (undefined when it does not exist); a PostgreSQL database on a connection whose
 * transactions are read-only (issue 17). Throws when it cannot be opened; the caller closes it.
 */
export async function openReadOnly(target: string): Promise<Sql | undefined> {
  if (isPostgresUrl(target)) {
    const { PostgresSql } = await import('../store/postgres-sql.js');
    const sql = PostgresSql.open(target);
    sql.exec('SET default_transaction_read_only = on');
    return sql;
  }
  if (target === ':memory:' || !existsSync(target)) return undefined;
  return new SqliteSql(new Database(target, { readonly: true, fileMustExist: true, timeout: 5_000 }));
}
