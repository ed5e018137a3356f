/**
 * The SQL meetsync's store speaks, over either database (issue 17): SQLite, embedded, for one
 * machine; PostgreSQL for replicas that share one database. Synchronous, as better-sqlite3 is:
 * the engine reads and writes its records between calls that await the network, and a record is
 * written before each call that changes the platform; keeping those writes synchronous keeps that
 * order plain in the code. The PostgreSQL side blocks on a worker thread for each statement
 * (postgres-sql.ts); `npm run bench:sync` measures what that costs.
 *
 * Statements are written once, in the SQL both databases accept (ON CONFLICT ... DO UPDATE,
 * RETURNING, named `@name` or positional `?` parameters); `dialect` is for the few places that differ.
 */
export type SqlParams = object | readonly unknown[];

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  /** What the store was opened on, for messages: a file path or a URL without its password. */
  readonly target: string;
  /** Runs one statement; returns how many rows it changed. */
  run(sql: string, params?: SqlParams): number;
  get<T>(sql: string, params?: SqlParams): T | undefined;
  all<T>(sql: string, params?: SqlParams): T[];
  /** The first column of the first row (a count, a value), or undefined. */
  value(sql: string, params?: SqlParams): unknown;
  /** Statements without parameters, separated by semicolons (a migration). */
  exec(sql: string): void;
  /**
   * Runs `fn` in one transaction (a nested call is part of the outer one); rolled back if it
   * throws. `exclusive`: one at a time with every other exclusive transaction on the database,
   * from its first statement (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction advisory lock).
   */
  transaction<T>(fn: () => T, mode?: 'exclusive'): T;
  close(): void;
}

/**
 * `@name` and `?` parameters as PostgreSQL's `$1, $2, ...`, with the values in that order. Quoted
 * text ('...', "...") is left as it is. A name used twice is one parameter.
 */
export function toNumbered(sql: string): { text: string; order: Array<string | number> } {
  const order: Array<string | number> = [];
  const named = new Map<string, number>();
  let positional = 0;
  let text = '';
  for (let i = 0; i < sql.length; i += 1) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      text += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      order.push(positional);
      positional += 1;
      text += `$${order.length}`;
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))![0];
      let n = named.get(name);
      if (n === undefined) {
        order.push(name);
        n = order.length;
        named.set(name, n);
      }
      text += `$${n}`;
      i += name.length;
    } else text += c;
  }
  return { text, order };
}

/** The values for a statement numbered by toNumbered, undefined sent as NULL. */
export function valuesFor(order: ReadonlyArray<string | number>, params: SqlParams | undefined): unknown[] {
  const values = order.map((k) => {
    if (params === undefined) return undefined;
    return typeof k === 'number' ? (params as readonly unknown[])[k] : (params as Record<string, unknown>)[k];
  });
  return values.map((v) => (v === undefined ? null : v));
}
