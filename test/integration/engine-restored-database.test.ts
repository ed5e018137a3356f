import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyStore } from '../../src/store/copy.js';
import { Store } from '../../src/store/store.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { CAL, giveAliceAKnownMeeting, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';
import { freshPostgresDatabase } from '../support/postgres.js';

/**
 * Issue 15, "the database restored from an older copy": the records of a restored database say
 * what the platform held when the copy was taken. Found by the crash campaign
 * (CRASH_SEED=866501079): an event moved after the copy and moved back before the restore looked
 * unchanged against its record, and its meeting stayed at the time of the move for good.
 * On SQLite the copy is a file put in the database's place; on PostgreSQL (issue 17,
 * MEETSYNC_TEST_STORE=postgres) it is restored into a new database the config then names, as
 * pg_restore or a point-in-time recovery gives one (store/generation.ts).
 */
const ON_POSTGRES = process.env.MEETSYNC_TEST_STORE === 'postgres';

describe('a database restored from an older copy', () => {
  let h: EngineHarness;
  let dir: string;
  const stores: Store[] = [];
  const drops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    stores.forEach((s) => s.close());
    stores.length = 0;
    await h?.close();
    for (const drop of drops.splice(0)) await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A new database: a file in the test's folder, or a database on the run's PostgreSQL server. */
  async function newDatabase(name: string): Promise<string> {
    if (!ON_POSTGRES) return path.join(dir, name);
    const db = await freshPostgresDatabase();
    drops.push(db.drop);
    return db.url;
  }

  async function openFile(file: string): Promise<Store> {
    const store = Store.open(file);
    stores.push(store);
    await refreshOrganizers(h.platform, store, [h.accountId], h.now);
    h.store = store;
    h.rebuild();
    return store;
  }

  async function begin(): Promise<{ file: string; first: Store }> {
    h = await startEngineHarness();
    dir = mkdtempSync(path.join(tmpdir(), 'meetsync-restore-'));
    const file = await newDatabase('meetsync.db');
    return { file, first: await openFile(file) };
  }

  let copy = '';
  /** IT's nightly copy of the database (better-sqlite3's online backup, or a copy into another PostgreSQL database). */
  async function takeCopy(store: Store): Promise<void> {
    copy = await newDatabase('copy.db');
    if (!ON_POSTGRES) {
      await store.db.backup(copy);
      return;
    }
    const target = Store.open(copy);
    try {
      copyStore(store, target);
    } finally {
      target.close();
    }
  }

  /** meetsync stopped, IT puts the copy in the database's place (a new PostgreSQL database the config names), meetsync starts. */
  async function restoreCopy(first: Store, file: string): Promise<Store> {
    first.close();
    stores.length = 0;
    if (ON_POSTGRES) {
      const restored = await newDatabase('restored');
      const from = Store.open(copy);
      const to = Store.open(restored);
      try {
        copyStore(from, to);
      } finally {
        from.close();
        to.close();
      }
      return openFile(restored);
    }
    for (const suffix of ['-wal', '-shm']) rmSync(file + suffix, { force: true });
    copyFileSync(copy, file);
    return openFile(file);
  }

  const posts = () => h.sim.server.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/v6/meeting')).length;

  it('brings back in step a meeting moved after the copy whose event was moved back before the restore', async () => {
    const { file, first } = await begin();
    const e = h.source.put(tagged());
    await h.engine.runCycle();
    const meetingId = first.mapping(e)!.meetingId!;
    const startOf = () => h.sim.meetings().find((m) => m.id === meetingId)!.startTime;
    const original = startOf();
    await takeCopy(first);

    const moved = new Date(Date.parse(e.start!) + 3 * 3_600_000).toISOString();
    h.source.patch(CAL, e.eventId, { start: moved, end: new Date(Date.parse(e.end!) + 3 * 3_600_000).toISOString() });
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(startOf()).toBe(moved);

    // meetsync is stopped; the organizer moves the event back; IT restores last night's copy.
    h.source.patch(CAL, e.eventId, { start: e.start!, end: e.end! });
    const restored = await restoreCopy(first, file);
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(startOf(), 'the meeting is where the event is').toBe(original);
    expect(restored.mapping(e)).toMatchObject({ start: e.start, state: 'active' });
    expect(restored.mapping(e)!.updatingSince).toBeUndefined();
    expect(restored.notes()).toEqual([]);

    // And an ordinary next cycle compares nothing: the generation has caught up.
    const calls = h.platformCalls();
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(h.platformCalls()).toBe(calls);
  });

  /**
   * Found by the crash campaign (CRASH_SEED=594927435, the README's last known gap of a restore):
   * after the copy the event was untagged (its meeting deleted, its link removed) and tagged again
   * at another time (a new meeting, a new stamp). The restored record still names the first
   * meeting; sending it the new times met a 404, and meetsync posted a third meeting while the
   * event's stamp named a live one. The stamp is the newer evidence: its meeting is adopted.
   */
  it("adopts the meeting the event's stamp names when the restored record names one deleted since the copy", async () => {
    const { file, first } = await begin();
    const e = h.source.put(tagged());
    await h.engine.runCycle();
    const firstMeeting = first.mapping(e)!.meetingId!;
    await takeCopy(first);

    // After the copy: untagged (meeting deleted, link removed), then tagged again three hours later.
    h.source.patch(CAL, e.eventId, { title: 'Planning, no meeting' });
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(h.sim.meetings().map((m) => m.id)).not.toContain(firstMeeting);
    const later = { start: new Date(Date.parse(e.start!) + 3 * 3_600_000).toISOString(), end: new Date(Date.parse(e.end!) + 3 * 3_600_000).toISOString() };
    h.source.patch(CAL, e.eventId, { title: e.title, ...later });
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    const secondMeeting = first.mapping(e)!.meetingId!;
    expect(secondMeeting).not.toBe(firstMeeting);

    // Stopped; the organizer moves it once more; IT restores the copy.
    const last = { start: new Date(Date.parse(later.start) + 3_600_000).toISOString(), end: new Date(Date.parse(later.end) + 3_600_000).toISOString() };
    h.source.patch(CAL, e.eventId, last);
    const restored = await restoreCopy(first, file);
    const before = posts();
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(posts() - before, 'meetings posted after the restore').toBe(0);
    expect(h.sim.meetings().map((m) => ({ id: m.id, start: m.startTime })), 'the live meeting is the stamped one, at the event time').toEqual([{ id: secondMeeting, start: last.start }]);
    expect(restored.mapping(e)).toMatchObject({ meetingId: secondMeeting, start: last.start, state: 'active', writeBack: 'done' });
    expect(restored.notes()).toEqual([]);
  });

  it('adopts the stamped meeting over a restored unconfirmed creation whose meeting was replaced since the copy', async () => {
    const { file, first } = await begin();
    const known = await giveAliceAKnownMeeting(h);
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    expect(first.mapping(e)?.state, 'the creation is unconfirmed').toBe('creating');
    await takeCopy(first);

    // After the copy: the creation is found and adopted, then the event untagged and tagged again.
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(first.mapping(e)?.state).toBe('active');
    h.source.patch(CAL, e.eventId, { title: 'Planning, no meeting' });
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    h.source.patch(CAL, e.eventId, { title: e.title });
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    const stamped = first.mapping(e)!.meetingId!;

    const restored = await restoreCopy(first, file);
    const before = posts();
    for (let i = 0; i < 4; i += 1) {
      h.advance(10 * 60_000);
      await h.engine.runCycle();
    }
    expect(posts() - before, 'meetings posted after the restore').toBe(0);
    const knownMeeting = restored.mapping(known)!.meetingId;
    expect(h.sim.meetings().map((m) => m.id).sort(), 'the live meetings').toEqual([knownMeeting, stamped].sort());
    expect(restored.mapping(e)).toMatchObject({ meetingId: stamped, state: 'active', writeBack: 'done' });
    expect(restored.notes()).toEqual([]);
  });
});
