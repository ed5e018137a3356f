import { SqliteSql } from '../../src/store/sqlite-sql.js';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { Store } from '../../src/store/store.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { ALICE, NOW, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';

/**
 * Issue 11: a sync cycle that finds no change does database work in proportion to its changes,
 * not to the number of mappings. The store runs on a better-sqlite3 connection that reports
 * every statement it executes (`verbose`); a quiet cycle must execute as many statements with 2
 * meetings as with 40, read and write as many rows (counted by wrapping the connection's
 * prepared statements), none of them reading a whole table of mappings or notes (EXPLAIN QUERY
 * PLAN), and save the state of all its quiet calendars in one transaction.
 */

interface Counted {
  h: EngineHarness;
  store: Store;
  db: Database.Database;
  statements: string[];
  rows: { read: number; written: number };
}

/** Counts the rows every statement prepared on `db` returns or changes. */
function countRows(db: Database.Database): { read: number; written: number } {
  const rows = { read: 0, written: 0 };
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const statement = prepare(sql);
    const { all, get, run } = statement;
    return Object.assign(statement, {
      all: (...params: unknown[]) => {
        const found = all.apply(statement, params) as unknown[];
        rows.read += found.length;
        return found;
      },
      get: (...params: unknown[]) => {
        const found = get.apply(statement, params) as unknown;
        if (found !== undefined) rows.read += 1;
        return found;
      },
      run: (...params: unknown[]) => {
        const result = run.apply(statement, params) as Database.RunResult;
        rows.written += result.changes;
        return result;
      },
    });
  }) as typeof db.prepare;
  return rows;
}

const worlds: EngineHarness[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((h) => h.close()));
});

/** A world with `meetings` synced tagged events in Alice's calendar and `calendars` calendars in all, settled. */
async function settledWorld(meetings: number, calendars: number): Promise<Counted> {
  const ids = [ALICE, ...Array.from({ length: calendars - 1 }, (_, i) => `quiet${i}@example.com`)];
  const h = await startEngineHarness({}, ids);
  worlds.push(h);
  const statements: string[] = [];
  const db = new Database(':memory:', { verbose: (sql) => statements.push(String(sql)) });
  migrate(new SqliteSql(db));
  const rows = countRows(db);
  const store = new Store(new SqliteSql(db));
  await refreshOrganizers(h.platform, store, [h.accountId], NOW);
  h.rebuild({}, store);
  for (let i = 0; i < meetings; i += 1) h.source.put(tagged({}, 2 + i));
  for (const id of ids.slice(1)) h.source.put(tagged({ calendarId: id, title: 'Lunch', organizerEmail: id }, 3));
  const created = await h.engine.runCycle();
  expect(created.counts.created).toBe(meetings);
  // The next cycle reads meetsync's own write-backs; the one after has nothing to read.
  await h.engine.runCycle();
  await h.engine.runCycle();
  statements.length = 0;
  return { h, store, db, statements, rows };
}

async function quietCycle(world: Counted): Promise<{ statements: string[]; read: number; written: number }> {
  world.h.advance(5 * 60_000);
  world.statements.length = 0;
  const before = { ...world.rows };
  const report = await world.h.engine.runCycle();
  expect(report.calendars.every((c) => c.ok && !c.fullRead)).toBe(true);
  expect(report.outcomes).toEqual([]);
  return { statements: [...world.statements], read: world.rows.read - before.read, written: world.rows.written - before.written };
}

/**
 * Statements whose plan reads a whole table of mappings or notes: a SCAN, as opposed to a SEARCH
 * through a key or an index, or a scan of a partial index (which holds only the rows it is for).
 */
function scans(db: Database.Database, statements: readonly string[]): string[] {
  const partial = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'").pluck().all() as string[];
  const found: string[] = [];
  for (const sql of new Set(statements)) {
    if (/^(BEGIN|COMMIT|ROLLBACK)/i.test(sql)) continue;
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>;
    const bad = plan.filter((p) => /^SCAN (mappings|event_notes|event_journal)\b/.test(p.detail) && !partial.some((i) => p.detail.endsWith(`USING INDEX ${i}`)));
    if (bad.length > 0) found.push(`${sql.replace(/\s+/g, ' ').slice(0, 160)} -> ${bad.map((p) => p.detail).join('; ')}`);
  }
  return found;
}

describe('database work of a sync cycle without changes', () => {
  it('is the same with 2 meetings as with 40, and reads no whole table of mappings or notes', async () => {
    const few = await settledWorld(2, 2);
    const many = await settledWorld(40, 2);
    expect(many.store.mappings({ state: 'active' })).toHaveLength(40);

    const fewCycle = await quietCycle(few);
    const manyCycle = await quietCycle(many);

    expect(manyCycle.statements.length, 'statements of a quiet cycle with 40 mappings vs 2').toBe(fewCycle.statements.length);
    expect({ read: manyCycle.read, written: manyCycle.written }, 'rows read and written with 40 mappings vs 2').toEqual({ read: fewCycle.read, written: fewCycle.written });
    expect(scans(many.db, manyCycle.statements), 'statements that read every mapping, note or journal entry').toEqual([]);
    // Issue 20: a quiet cycle writes nothing to the event journal; its one statement there is the
    // age limit's prune, through the index on `at`.
    expect(manyCycle.statements.filter((sql) => /event_journal/.test(sql)), 'journal statements of a quiet cycle').toEqual([expect.stringMatching(/^DELETE FROM event_journal WHERE at < '[^']+'$/)]);
    expect(many.store.journalSize().entries, 'what the settled world journaled: a read, a POST and a write-back per meeting; nothing for an untagged lunch').toBe(40 * 3);
  });

  it('saves the states of all quiet calendars in one transaction', async () => {
    const two = await settledWorld(1, 2);
    const six = await settledWorld(1, 6);

    // Each COMMIT, and each write outside a transaction (SQLite commits it on its own).
    const commits = (statements: string[]) => {
      let open = false;
      let count = 0;
      for (const sql of statements) {
        if (sql === 'BEGIN') open = true;
        else if (sql === 'COMMIT') [open, count] = [false, count + 1];
        else if (!open && /^\s*(INSERT|UPDATE|DELETE)/i.test(sql)) count += 1;
      }
      return count;
    };
    const twoCommits = commits((await quietCycle(two)).statements);
    const sixCommits = commits((await quietCycle(six)).statements);

    expect(sixCommits, 'commits of a quiet cycle over 6 calendars vs 2').toBe(twoCommits);
    expect(six.store.calendarStates().filter((s) => s.lastSuccessAt === six.h.now.toISOString())).toHaveLength(6);
  });
});
