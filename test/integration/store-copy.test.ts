import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { settleCalendarKeys } from '../../src/store/calendar-keys.js';
import { copiedTables, copyDatabase, copyStore } from '../../src/store/copy.js';
import { withCycleLock } from '../../src/store/lock.js';
import { recordCanary, saveProfile } from '../../src/store/platform-profile.js';
import { hashToken, PushChannelStore } from '../../src/store/push-channels.js';
import { Store } from '../../src/store/store.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { sampleMapping as mapping } from '../support/test-store.js';

/**
 * Issue 17: `meetsync db copy`, SQLite -> PostgreSQL (the move the README describes) and back,
 * on the run's real PostgreSQL server: every row of every table arrives as it was.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function newFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-copy-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'meetsync.db');
}

async function newPostgres(): Promise<string> {
  const db = await freshPostgresDatabase();
  cleanups.push(() => db.drop());
  return db.url;
}

function open(target: string): Store {
  const store = Store.open(target);
  cleanups.push(() => store.close());
  return store;
}

/** Records in every table meetsync keeps: what a database that has run a while holds. */
function fill(store: Store): void {
  store.upsertOrganizer({ email: 'alice@example.com', accountId: 'acc1', userId: mapping.userId, firstName: 'Alice', lastName: "O'Neil", timezone: 'Europe/Berlin', hasFeed: true, refreshedAt: mapping.createdAt });
  store.upsertOrganizer({ email: 'bob@example.com', accountId: 'acc1', userId: 'u-bob', firstName: 'Bob', lastName: '', hasFeed: false, refreshedAt: mapping.createdAt });
  store.saveMapping({ ...mapping, state: 'active', meetingId: 'm-1', meetingNumber: '9974-7653-8886-0485', topic: 'Planning — ünïcode ✓' });
  store.saveMapping({ ...mapping, eventId: 'evt2', marker: 'meetsync:0456', recurrence: null, writeBack: 'done', lastError: 'x\ny' } as typeof mapping);
  store.saveNote({ source: 'corp-google', calendarId: 'alice@example.com', eventId: 'evt3', kind: 'failed', reason: 'HTTP 503', title: 'Retro', start: '2026-12-02T09:00:00.000Z', retry: true, tries: { since: mapping.createdAt, attempts: 3, nextTryAt: mapping.updatedAt }, updatedAt: mapping.updatedAt });
  store.saveNote({ source: 'corp-google', calendarId: 'alice@example.com', eventId: 'evt4', kind: 'skipped', reason: 'no organizer', title: '', awaitingOrganizer: 'carol@example.com', updatedAt: mapping.updatedAt });
  store.saveKeptMeeting({ meetingId: 'm-kept', meetingNumber: '1111-2222', source: 'corp-google', calendarId: 'alice@example.com', eventId: 'evt9', organizerEmail: 'alice@example.com', userId: mapping.userId, marker: 'meetsync:0999', topic: 'Kept', start: mapping.start, end: mapping.end, recurrence: null, keptAt: mapping.updatedAt });
  store.saveCalendarState({ source: 'corp-google', calendarId: 'alice@example.com', cursor: 'sync-token-1', lastAttemptAt: mapping.updatedAt, lastSuccessAt: mapping.updatedAt, consecutiveFailures: 0 });
  store.saveCalendarState({ source: 'corp-google', calendarId: 'bob@example.com', lastError: 'HTTP 401', lastErrorAt: mapping.updatedAt, consecutiveFailures: 2 });
  store.setEngineState('platform-cursor', '42');
  store.setEngineState('other', '{"a":1}');
  for (let i = 0; i < 3; i += 1) {
    const id = store.startRun('sync', new Date(Date.UTC(2026, 10, 27, i)));
    store.finishRun(id, new Date(Date.UTC(2026, 10, 27, i, 1)), i !== 1, { created: i }, i === 1 ? 'failed' : undefined);
  }
  settleCalendarKeys(store, [{ identity: 'google:alice', source: 'corp-google', calendarId: 'alice@example.com' }], new Date(mapping.createdAt));
  saveProfile(store.sql, { platform: 'https://platform.example', organizerEmail: 'alice@example.com', probedAt: mapping.createdAt, entries: [{ assumption: 'a', result: 'confirmed', detail: 'seen' }] });
  store.journal([
    { source: 'corp-google', calendarId: 'alice@example.com', eventId: 'evt1', at: mapping.createdAt, kind: 'read', what: 'wants a meeting', outcome: 'create', title: 'Planning — ünïcode ✓ #webmeeting', start: mapping.start, end: mapping.end, organizer: 'alice@example.com', tag: '#webmeeting in the title' },
    { source: 'corp-google', calendarId: 'alice@example.com', eventId: 'evt1', at: mapping.createdAt, kind: 'call', what: 'POST /meeting', outcome: 'sent', detail: 'sends "Planning"' },
  ]);
  store.journal([{ source: 'corp-google', calendarId: 'alice@example.com', eventId: 'evt1', at: mapping.updatedAt, kind: 'call', what: 'POST /meeting', outcome: 'ok', meetingId: 'm-1', meetingNumber: '9974-7653-8886-0485' }]);
  // Issue 18: a push channel open at Google (its token kept as a hash only).
  const channels = new PushChannelStore(store);
  channels.open({ channelId: 'ch-1', provider: 'google', source: 'corp-google', calendarId: 'alice@example.com', tokenHash: hashToken('token-of-the-channel'), createdAt: new Date(mapping.createdAt) });
  channels.opened('ch-1', 'resource-1', new Date(Date.parse(mapping.createdAt) + 7 * 86_400_000));
  recordCanary(store.sql, { reference: 'meetsync-probe:1', organizerEmail: 'alice@example.com', userId: mapping.userId, topic: 'probe', startAt: mapping.start, createdAt: mapping.createdAt });
}

/** Every table's rows (`SELECT * ORDER BY 1`), each row with its columns in name order; ties put in one order. */
function rowsOf(store: Store): Record<string, unknown[]> {
  const canonical = (row: Record<string, unknown>) => Object.fromEntries(Object.keys(row).sort().map((k) => [k, row[k]]));
  return Object.fromEntries(
    copiedTables(store.sql.dialect).map((t) => [t, store.sql.all<Record<string, unknown>>(`SELECT * FROM ${t} ORDER BY 1`).map(canonical).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))]),
  );
}

describe('copying a meetsync database', () => {
  it('carries every record from SQLite to PostgreSQL and back, row for row, and the copy goes on numbering its runs', async () => {
    const source = open(newFile());
    fill(source);
    const before = rowsOf(source);
    // Every table has something to copy, so that none is left out unnoticed.
    for (const [table, rows] of Object.entries(before)) expect(rows.length, table).toBeGreaterThan(0);

    const pg = open(await newPostgres());
    const result = copyStore(source, pg);
    expect(result.tables).toEqual(Object.entries(before).map(([table, rows]) => ({ table, rows: rows.length })));
    expect(rowsOf(pg)).toEqual(before);
    expect(rowsOf(source)).toEqual(before);
    expect(pg.mappings()).toEqual(source.mappings());
    expect(pg.lastRuns()).toEqual(source.lastRuns());

    const maxId = Math.max(...source.lastRuns().map((r) => r.id));
    expect(pg.startRun('sync', new Date())).toBe(maxId + 1);

    const back = open(newFile());
    copyStore(pg, back);
    expect(rowsOf(back)).toEqual(rowsOf(pg));
    expect(back.startRun('sync', new Date())).toBe(maxId + 2);
  });

  it('copies SQLite to SQLite', async () => {
    const source = open(newFile());
    fill(source);
    const target = open(newFile());
    copyStore(source, target);
    expect(rowsOf(target)).toEqual(rowsOf(source));
  });

  it('refuses a target that holds records, naming it without its password, and leaves it as it was', async () => {
    const source = open(newFile());
    fill(source);
    const url = new URL(await newPostgres());
    url.password = 'copy-secret-pw';
    const target = open(url.toString());
    target.setEngineState('mine', 'x');
    const before = rowsOf(target);
    let error: Error | undefined;
    try {
      copyStore(source, target);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.name).toBe('DatabaseError');
    expect(error?.message).toMatch(/already holds meetsync records \(table engine_state\); copy into an empty database$/);
    expect(error?.message).toContain(':***@');
    expect(error?.message).not.toContain('copy-secret-pw');
    expect(error?.message.split('\n')).toHaveLength(1);
    expect(rowsOf(target)).toEqual(before);
  });

  it('leaves the target empty when the copy fails halfway', async () => {
    const source = open(newFile());
    fill(source);
    const target = open(newFile());
    // The target refuses the rows of the last table copied, after every other table was written.
    const last = copiedTables('sqlite').at(-1)!;
    target.sql.exec(`CREATE TRIGGER refuse BEFORE INSERT ON ${last} BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    expect(() => copyStore(source, target)).toThrow(/refused/);
    for (const [table, rows] of Object.entries(rowsOf(target))) expect(rows, table).toEqual([]);
  });

  it('waits for no sync cycle: a cycle running on the source makes the copy refuse at once', async () => {
    const file = newFile();
    fill(open(file));
    let release!: () => void;
    let held!: () => void;
    const acquired = new Promise<void>((r) => (held = r));
    const cycle = withCycleLock(file, () => new Promise<void>((r) => { release = r; held(); }), { wait: false });
    await acquired;
    const to = newFile();
    await expect(copyDatabase(file, to)).rejects.toThrow(/^a sync cycle is running on the database .*; stop meetsync \(or let the cycle end\) and try again$/);
    release();
    await cycle;
    const result = await copyDatabase(file, to);
    expect(result.tables.find((t) => t.table === 'mappings')?.rows).toBe(2);
    await expect(copyDatabase(file, file)).rejects.toThrow(/is the configured database itself/);
  });
});
