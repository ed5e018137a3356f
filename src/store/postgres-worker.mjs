// The PostgreSQL connection of one meetsync process, on a worker thread (issue 17). The store's
// port is synchronous (src/store/sql.ts); postgres-sql.ts blocks on this worker through synckit
// for each statement. Plain JavaScript, so that it runs the same from src/ (tests) and dist/.
// synckit starts one worker per script and process, so every PostgresSql of the process (the
// store, the lock connection, both ends of a `db copy`) asks this one worker: each has its own
// client here, by its id. One client, one connection: a transaction's statements run on it in order.
import pg from 'pg';
import { runAsWorker } from 'synckit';

const clients = new Map();

runAsWorker(async (request) => {
  try {
    if (request.op === 'connect') {
      const client = new pg.Client({ connectionString: request.url, application_name: 'meetsync', connectionTimeoutMillis: request.timeoutMs });
      // A connection the server ends (a restart, a failover) must not throw on this thread.
      client.on('error', () => undefined);
      await client.connect();
      clients.set(request.id, client);
      return { rows: [], rowCount: 0 };
    }
    const client = clients.get(request.id);
    if (!client) return { error: { message: 'not connected' } };
    if (request.op === 'close') {
      clients.delete(request.id);
      await client.end();
      return { rows: [], rowCount: 0 };
    }
    // exec: a simple query (several statements, no parameters), as a migration is written.
    const result = request.op === 'exec' ? await client.query(request.text) : await client.query({ text: request.text, values: request.values });
    const last = Array.isArray(result) ? result.at(-1) : result;
    return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0 };
  } catch (err) {
    return { error: { message: err instanceof Error ? err.message : String(err), code: err?.code } };
  }
});
