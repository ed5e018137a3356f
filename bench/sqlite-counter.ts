/**
 * Preloaded into the meetsync process by the real-path benchmark (`node --import`), when
 * BENCH_SQLITE_COUNTS names a file: counts the SQLite statements meetsync runs and the rows they
 * read and write (better-sqlite3's Statement run/get/all/iterate, wrapped on its prototype), and
 * writes the totals to that file as the process exits. meetsync's own code is not touched.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const out = process.env.BENCH_SQLITE_COUNTS;
if (out) {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  const counts = { statements: 0, rowsRead: 0, rowsWritten: 0 };
  const wrap = (name: string, tally: (result: unknown) => void) => {
    const original = proto[name]!;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      counts.statements += 1;
      const result = original.apply(this, args);
      tally(result);
      return result;
    };
  };
  wrap('run', (r) => (counts.rowsWritten += (r as { changes: number }).changes));
  wrap('get', (r) => (counts.rowsRead += r === undefined ? 0 : 1));
  wrap('all', (r) => (counts.rowsRead += (r as unknown[]).length));
  const iterate = proto.iterate!;
  proto.iterate = function* (this: unknown, ...args: unknown[]) {
    counts.statements += 1;
    for (const row of iterate.apply(this, args) as Iterable<unknown>) {
      counts.rowsRead += 1;
      yield row;
    }
  };
  process.on('exit', () => writeFileSync(out, JSON.stringify(counts)));
}
