import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { settleCalendarKeys } from '../../src/store/calendar-keys.js';
import { readProfile, saveProfile } from '../../src/store/platform-profile.js';
import { Store } from '../../src/store/store.js';
import type { JournalEntry } from '../../src/domain/journal.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { sampleMapping as mapping } from '../support/test-store.js';

/**
 * Issue 17: the store's contract, run against both databases meetsync keeps its records in: an
 * SQLite file and a PostgreSQL database on the run's real server (test/support/postgres-server.ts).
 * Each promise the engine relies on, once for each.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Where a store of each kind is opened: a new file, or a new PostgreSQL database. */
const kinds: Record<'sqlite' | 'postgres', () => Promise<string>> = {
  sqlite: async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-contract-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return path.join(dir, 'meetsync.db');
  },
  postgres: async () => {
    const db = await freshPostgresDatabase();
    cleanups.push(() => db.drop());
    return db.url;
  },
};

function open(target: string): Store {
  const store = Store.open(target);
  cleanups.push(() => store.close());
  return store;
}

describe.each(Object.keys(kinds) as Array<keyof typeof kinds>)('the store on %s', (kind) => {
  it('round-trips a mapping, field for field, and keeps it across reopening', async () => {
    const target = await kinds[kind]();
    const first = Store.open(target);
    first.saveMapping(mapping);
    first.saveMapping({ ...mapping, state: 'active', meetingId: '5e945c36b863b82cefdddf54', meetingNumber: '9974-7653-8886-0485', updatingSince: '2026-11-27T01:00:00.000Z' });
    first.close();
    const again = open(target);
    expect(again.mapping(mapping)).toEqual({ ...mapping, state: 'active', meetingId: '5e945c36b863b82cefdddf54', meetingNumber: '9974-7653-8886-0485', updatingSince: '2026-11-27T01:00:00.000Z' });
    expect(again.mappingsByMeeting('5e945c36b863b82cefdddf54').map((m) => m.eventId)).toEqual(['evt1']);
    expect(again.mappingsOf([mapping, { ...mapping, eventId: 'none' }]).map((m) => m.eventId)).toEqual(['evt1']);
    expect(again.countMappings({ source: mapping.source, calendarId: mapping.calendarId, state: 'active' })).toBe(1);
  });

  it('refuses a second record with the same marker: the database, not a convention, keeps one meeting per reference', async () => {
    const store = open(await kinds[kind]());
    store.saveMapping(mapping);
    expect(() => store.saveMapping({ ...mapping, eventId: 'evt2' })).toThrow();
    expect(store.mappings().map((m) => m.eventId)).toEqual(['evt1']);
  });

  it('rolls a transaction back whole when it throws, nested ones included', async () => {
    const store = open(await kinds[kind]());
    expect(() =>
      store.transaction(() => {
        store.saveMapping(mapping);
        store.transaction(() => store.setEngineState('x', '1'));
        throw new Error('crash');
      }),
    ).toThrow('crash');
    expect(store.mappings()).toEqual([]);
    expect(store.engineState('x')).toBeUndefined();
    store.transaction(() => {
      store.saveMapping(mapping);
      store.setEngineState('x', '2');
    });
    expect(store.engineState('x')).toBe('2');
  });

  it('keeps notes, calendar states, runs and kept meetings', async () => {
    const store = open(await kinds[kind]());
    store.saveNote({ ...mapping, kind: 'failed', reason: 'the platform answered 503', title: 'Planning', retry: true, tries: { since: '2026-11-27T00:00:00.000Z', attempts: 2, nextTryAt: '2026-11-27T00:10:00.000Z' }, updatedAt: '2026-11-27T00:00:00.000Z' });
    expect(store.notesToRecheck()).toEqual([expect.objectContaining({ eventId: 'evt1', retry: true, tries: { since: '2026-11-27T00:00:00.000Z', attempts: 2, nextTryAt: '2026-11-27T00:10:00.000Z' } })]);
    store.clearNote(mapping);
    expect(store.notes()).toEqual([]);

    store.saveCalendarStates([{ source: 's', calendarId: 'c', cursor: 'tok', consecutiveFailures: 3, lastError: 'boom' }]);
    expect(store.calendarState('s', 'c')).toEqual({ source: 's', calendarId: 'c', cursor: 'tok', consecutiveFailures: 3, lastError: 'boom' });
    // A quiet cycle of many calendars saves them together, several statements' worth: each one
    // kept, an existing one replaced, and a calendar named twice keeps its latest state.
    const many = Array.from({ length: 1201 }, (_, i) => ({ source: 's', calendarId: `c${i}`, cursor: `t${i}`, consecutiveFailures: 0, lastAttemptAt: '2026-11-27T00:00:00.000Z' }));
    store.saveCalendarStates([...many, { source: 's', calendarId: 'c', cursor: 'tok2', consecutiveFailures: 0 }, { ...many[7]!, cursor: 'later' }]);
    expect(store.calendarStates().filter((c) => c.source === 's')).toHaveLength(1202);
    expect(store.calendarState('s', 'c1200')).toEqual({ source: 's', calendarId: 'c1200', cursor: 't1200', consecutiveFailures: 0, lastAttemptAt: '2026-11-27T00:00:00.000Z' });
    expect(store.calendarState('s', 'c7').cursor).toBe('later');
    expect(store.calendarState('s', 'c')).toEqual({ source: 's', calendarId: 'c', cursor: 'tok2', consecutiveFailures: 0 });

    const a = store.startRun('sync', new Date('2026-11-27T00:00:00Z'));
    const b = store.startRun('sync', new Date('2026-11-27T00:05:00Z'));
    expect(b).toBeGreaterThan(a);
    store.finishRun(b, new Date('2026-11-27T00:06:00Z'), true, { created: 1 });
    expect(store.lastRuns(1)).toEqual([{ id: b, kind: 'sync', startedAt: '2026-11-27T00:05:00.000Z', finishedAt: '2026-11-27T00:06:00.000Z', ok: true, summary: { created: 1 } }]);

    store.saveKeptMeeting({ meetingId: 'm1', source: 's', calendarId: 'c', eventId: 'e', organizerEmail: 'a@x', userId: 'u', marker: 'meetsync:k', topic: 'T', start: mapping.start, end: mapping.end, recurrence: null, keptAt: mapping.createdAt });
    expect(store.isKeptMeeting('m1')).toBe(true);
    expect(store.retire(new Date('2027-01-01T00:00:00Z'))).toBe(0);
    expect(store.isKeptMeeting('m1')).toBe(false);
  });

  it("moves a calendar's records to its new key when its source is renamed", async () => {
    const store = open(await kinds[kind]());
    settleCalendarKeys(store, [{ identity: 'google:alice', source: 'corp-google', calendarId: 'alice@example.com' }], new Date());
    store.saveMapping({ ...mapping, state: 'active', meetingId: 'm' });
    const report = settleCalendarKeys(store, [{ identity: 'google:alice', source: 'gcal', calendarId: 'alice@example.com' }], new Date());
    expect(report.moved).toHaveLength(1);
    expect(store.mappings().map((m) => m.source)).toEqual(['gcal']);
  });

  it('keeps the platform profile in the order the probe wrote it', async () => {
    const store = open(await kinds[kind]());
    const entries = ['z-last', 'a-first', 'm-middle'].map((assumption) => ({ assumption, result: 'confirmed' as const, detail: 'seen' }));
    saveProfile(store.sql, { platform: 'https://platform.example', organizerEmail: 'Alice@Example.com', probedAt: mapping.createdAt, entries });
    expect(readProfile(store.sql)?.entries.map((e) => e.assumption)).toEqual(['z-last', 'a-first', 'm-middle']);
  });

  it("refuses a database a newer meetsync wrote, and one that is not meetsync's", async () => {
    const target = await kinds[kind]();
    const first = Store.open(target);
    first.sql.run('INSERT INTO schema_migrations VALUES (999, ?, ?)', ['future', new Date().toISOString()]);
    first.close();
    expect(() => Store.open(target)).toThrow(/newer meetsync .*upgrade meetsync/);

    const other = await kinds[kind]();
    const foreign = Store.open(other);
    foreign.sql.exec('DROP TABLE schema_migrations');
    foreign.close();
    expect(() => Store.open(other)).toThrow(/not a meetsync database/);
  });
});

describe.each(Object.keys(kinds) as Array<keyof typeof kinds>)('the event journal on %s', (kind) => {
  const key = { source: 'corp-google', calendarId: 'alice@example.com', eventId: 'evt1' };
  const at = (minute: number) => new Date(Date.UTC(2030, 0, 7, 9, minute)).toISOString();
  const call = (minute: number, outcome: string, extra: Partial<JournalEntry> = {}): JournalEntry => ({ ...key, at: at(minute), kind: 'call', what: 'POST /meeting', outcome, ...extra });

  it('settles a call with its answer, counts a repeated failure once, and keeps only the newest entries per event', async () => {
    const store = open(await kinds[kind]());
    store.journalLimits = { perEvent: 5, maxAgeDays: 90 };
    store.journal([{ ...key, at: at(0), kind: 'read', what: 'wants a meeting', outcome: 'create', title: 'Planning #webmeeting', tag: '#webmeeting in the title' }, call(0, 'sent')]);
    store.journal([call(1, 'ok', { meetingNumber: '1234-5678-9012-3456', meetingId: '5e945c36b863b82cefdddf54' })]);
    expect(store.journalOf(key).map((e) => `${e.what} ${e.outcome}`)).toEqual(['wants a meeting create', 'POST /meeting ok']);
    expect(store.journalOf(key)[1]).toMatchObject({ at: at(0), lastAt: at(1), meetingNumber: '1234-5678-9012-3456' });

    const failed = { what: 'write-back', detail: 'writing the join link into the event failed (will retry): HTTP 503' };
    for (let m = 2; m < 5; m += 1) store.journal([call(m, 'failed', failed)]);
    expect(store.journalOf(key).at(-1)).toMatchObject({ what: 'write-back', repeats: 3, lastAt: at(4) });
    for (let m = 5; m < 12; m += 1) store.journal([call(m, 'ok', { what: 'PUT /meeting', detail: `move ${m}` })]);
    const kept = store.journalOf(key);
    expect(kept.map((e) => e.detail)).toEqual(['move 7', 'move 8', 'move 9', 'move 10', 'move 11']);
    expect(store.journalOf({ ...key, eventId: 'other' })).toEqual([]);
  });

  it('is written with the record it explains or not at all, holds no secret, and forgets what is older than its age limit', async () => {
    const store = open(await kinds[kind]());
    expect(() => store.transaction(() => {
      store.saveMapping(mapping);
      store.journal([call(0, 'sent')]);
      throw new Error('crash');
    })).toThrow('crash');
    expect(store.mapping(mapping)).toBeUndefined();
    expect(store.journalSize().entries).toBe(0);

    store.journal([call(0, 'failed', { what: 'feed check', detail: 'GET /api/v6/meeting/calender/user/0b6d1c7e-3f4a-4b8e-9c2d-5e6f7a8b9c0d-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d failed' })]);
    expect(store.journalOf(key)[0]!.detail).toBe('GET /api/v6/meeting/calender/user/[redacted] failed');
    store.journal([call(1, 'ok', { eventId: 'recent' })]);
    expect(store.pruneJournal(new Date(Date.parse(at(0)) + 90 * 86_400_000 + 30_000))).toBe(1);
    expect(store.journalSize()).toEqual({ entries: 1, events: 1, mostForOneEvent: 1 });
  });

  it('finds events by meeting number or id, by event id, and by words of the title in any case', async () => {
    const store = open(await kinds[kind]());
    store.saveMapping({ ...mapping, state: 'active', meetingId: '5e945c36b863b82cefdddf54', meetingNumber: '9974-7653-8886-0485', topic: 'Quarterly Review' });
    store.journal([{ ...key, eventId: 'evt9', at: at(0), kind: 'read', what: 'no meeting', outcome: 'skip', title: 'Budget 100% #webmeeting' }]);
    store.journal([{ ...key, eventId: 'evt8', at: at(0), kind: 'call', what: 'DELETE /meeting', outcome: 'ok', meetingNumber: '1111-2222-3333-4444' }]);
    const ids = (keys: ReadonlyArray<{ eventId: string }>) => keys.map((k) => k.eventId);
    expect(ids(store.eventsByMeeting('9974-7653-8886-0485'))).toEqual(['evt1']);
    expect(ids(store.eventsByMeeting('5e945c36b863b82cefdddf54'))).toEqual(['evt1']);
    expect(ids(store.eventsByMeeting('1111-2222-3333-4444'))).toEqual(['evt8']);
    expect(ids(store.eventsById('evt9'))).toEqual(['evt9']);
    expect(ids(store.eventsByTitle(['quarterly', 'REVIEW'], 10))).toEqual(['evt1']);
    expect(ids(store.eventsByTitle(['100%'], 10))).toEqual(['evt9']);
    expect(ids(store.eventsByTitle(['10_%'], 10))).toEqual([]);
    expect(ids(store.eventsByTitle(['review', 'budget'], 10))).toEqual([]);
  });
});

describe('PostgreSQL stores in one process', () => {
  it("each keep their own connection: two databases never mix, and one store's transaction holds only its own writes", async () => {
    const one = open(await kinds.postgres());
    const two = open(await kinds.postgres());
    one.saveMapping(mapping);
    expect(two.mappings(), 'the other database').toEqual([]);
    expect(() =>
      one.transaction(() => {
        one.setEngineState('x', '1');
        two.setEngineState('y', '2');
        throw new Error('crash');
      }),
    ).toThrow('crash');
    expect(one.engineState('x')).toBeUndefined();
    expect(two.engineState('y'), "written outside the first store's transaction").toBe('2');
  });
});
