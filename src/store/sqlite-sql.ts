import type Database from 'better-sqlite3';
import type { Sql, SqlParams } from './sql.js';

/** The store's SQL on an SQLite database (better-sqlite3); statements compiled once per text. */
export class SqliteSql implements Sql {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  get target(): string {
    return this.db.memory || !this.db.name ? ':memory:' : this.db.name;
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private static args(params: SqlParams | undefined): unknown[] {
    if (params === undefined) return [];
    return Array.isArray(params) ? [...(params as unknown[])] : [params];
  }

  run(sql: string, params?: SqlParams): number {
    return this.prepare(sql).run(...SqliteSql.args(params)).changes;
  }

  get<T>(sql: string, params?: SqlParams): T | undefined {
    return this.prepare(sql).get(...SqliteSql.args(params)) as T | undefined;
  }

  all<T>(sql: string, params?: SqlParams): T[] {
    return this.prepare(sql).all(...SqliteSql.args(params)) as T[];
  }

  value(sql: string, params?: SqlParams): unknown {
    const statement = this.prepare(sql);
    if (!statement.reader) throw new Error('value() takes a statement that returns rows');
    const row = statement.raw(true).get(...SqliteSql.args(params)) as unknown[] | undefined;
    statement.raw(false);
    return row?.[0];
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  transaction<T>(fn: () => T, mode?: 'exclusive'): T {
    const t = this.db.transaction(fn);
    return mode === 'exclusive' ? t.immediate() : t();
  }

  close(): void {
    this.db.close();
  }
}
