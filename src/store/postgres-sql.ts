import path from 'node:path';
import { createRequire } from 'node:module';
import { DatabaseError } from '../domain/errors.js';
import { shownUrl } from './database-target.js';
import { packageDir } from './package-dir.js';
import { toNumbered, valuesFor, type Sql, type SqlParams } from './sql.js';

type Request = { id: number } & ({ op: 'connect'; url: string; timeoutMs: number } | { op: 'query'; text: string; values: unknown[] } | { op: 'exec'; text: string } | { op: 'close' });
type Ask = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** Each connection's id in the worker (one worker per process: postgres-worker.mjs). */
let nextId = 0;
type Answer = { rows: Array<Record<string, unknown>>; rowCount: number } | { error: { message: string; code?: string } };

/** How long one statement may take before meetsync gives up on the database (a lock held by a dead replica is released sooner). */
const STATEMENT_TIMEOUT_MS = 60_000;

/** The advisory lock key of exclusive transactions (any fixed number; "meetsync" in ASCII, cut to 32 bits). */
const EXCLUSIVE_KEY = 0x6d656574;

/** A statement PostgreSQL refused, with its SQLSTATE (23505: a unique constraint). */
export class PostgresError extends DatabaseError {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * The store's SQL on PostgreSQL (the `pg` driver), one connection per process on a worker thread
 * that each statement blocks on (sql.ts says why the port is synchronous). Parameters are
 * numbered once per statement text.
 */
export class PostgresSql implements Sql {
  readonly dialect = 'postgres';
  private depth = 0;
  private readonly numbered = new Map<string, ReturnType<typeof toNumbered>>();

  private readonly id = (nextId += 1);

  private constructor(
    private readonly worker: (request: Request) => Answer,
    readonly target: string,
  ) {}

  private call(request: Ask): Answer {
    return this.worker({ ...request, id: this.id } as Request);
  }

  static open(url: string): PostgresSql {
    // Loaded here, synchronously (its CommonJS build), so that a process on SQLite never loads it.
    const { createSyncFn } = createRequire(import.meta.url)('synckit') as typeof import('synckit');
    const call = createSyncFn<(request: Request) => Promise<Answer>>(path.join(packageDir(), 'src', 'store', 'postgres-worker.mjs'), { timeout: STATEMENT_TIMEOUT_MS });
    const sql = new PostgresSql(call, shownUrl(url));
    const answer = sql.call({ op: 'connect', url, timeoutMs: 15_000 });
    if ('error' in answer) {
      // The driver's words name the host and the reason; the URL's password is never in them.
      throw new DatabaseError(`cannot connect to the database ${sql.target}: ${answer.error.message}; check the 'database' key and that the server accepts meetsync's connections`);
    }
    sql.exec(`SET statement_timeout = ${STATEMENT_TIMEOUT_MS - 5_000}`);
    return sql;
  }

  private ask(request: Ask): Array<Record<string, unknown>> & { rowCount?: number } {
    const answer = this.call(request);
    if ('error' in answer) throw new PostgresError(`the database ${this.target} refused a statement: ${answer.error.message}`, answer.error.code);
    return Object.assign(answer.rows, { rowCount: answer.rowCount });
  }

  private query(sql: string, params: SqlParams | undefined): Array<Record<string, unknown>> & { rowCount?: number } {
    let n = this.numbered.get(sql);
    if (!n) {
      n = toNumbered(sql);
      this.numbered.set(sql, n);
    }
    return this.ask({ op: 'query', text: n.text, values: valuesFor(n.order, params) });
  }

  run(sql: string, params?: SqlParams): number {
    return this.query(sql, params).rowCount ?? 0;
  }

  get<T>(sql: string, params?: SqlParams): T | undefined {
    return this.query(sql, params)[0] as T | undefined;
  }

  all<T>(sql: string, params?: SqlParams): T[] {
    return this.query(sql, params) as T[];
  }

  value(sql: string, params?: SqlParams): unknown {
    const row = this.query(sql, params)[0];
    return row === undefined ? undefined : Object.values(row)[0];
  }

  exec(sql: string): void {
    this.ask({ op: 'exec', text: sql });
  }

  transaction<T>(fn: () => T, mode?: 'exclusive'): T {
    const savepoint = `s${this.depth}`;
    this.exec(this.depth === 0 ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
    this.depth += 1;
    // Held to the end of the outermost transaction; one key for every exclusive transaction.
    if (mode === 'exclusive') this.exec(`SELECT pg_advisory_xact_lock(${EXCLUSIVE_KEY})`);
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.depth -= 1;
      try {
        this.exec(this.depth === 0 ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`);
      } catch {
        // The connection is gone: the server rolled the transaction back itself.
      }
      throw err;
    }
    this.depth -= 1;
    this.exec(this.depth === 0 ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
    return result;
  }

  close(): void {
    try {
      this.ask({ op: 'close' });
    } catch {
      // Closing a connection the server already ended.
    }
  }
}
