import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { copyStore } from '../../src/store/copy.js';
import { CalendarLeases, LeaseLostError } from '../../src/store/leases.js';
import { Store } from '../../src/store/store.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { settings, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { sampleMapping } from '../support/test-store.js';

/**
 * Issue 17: replicas on one PostgreSQL database (a real server, test/support/postgres-server.ts).
 * Each cycle a replica serves the calendars whose lease it holds: the calendars are shared out,
 * a dead replica's are taken over once its leases expire, and a replica whose lease lapsed
 * cannot write for that calendar any more (fencing).
 */
const CALENDARS = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com'];
const TTL_MS = 3_000;

describe('replicas on one PostgreSQL database', () => {
  let h: EngineHarness;
  let drop: (() => Promise<void>) | undefined;
  const stores: Store[] = [];
  afterEach(async () => {
    stores.splice(0).forEach((s) => s.close());
    await h?.close();
    await drop?.();
  });

  /** A replica: its own connection, leases and engine, on the shared database, platform and calendars. */
  async function replica(url: string, name: string): Promise<{ engine: SyncEngine; leases: CalendarLeases; store: Store; served: () => Set<string> }> {
    const store = Store.open(url);
    stores.push(store);
    await refreshOrganizers(h.platform, store, [h.accountId], h.now);
    const leases = new CalendarLeases(store, { replicaId: name, ttlMs: TTL_MS });
    store.fence = (source, calendarId) => leases.guard(source, calendarId);
    const engine = new SyncEngine({ store, platform: h.platform, sources: [h.source], settings: settings({ accountIds: [h.accountId] }), logger: silentLogger(), now: () => h.now, leases });
    let last = new Set<string>();
    const claim = leases.claim.bind(leases);
    leases.claim = (configured) => (last = claim(configured));
    return { engine, leases, store, served: () => last };
  }

  async function start(): Promise<string> {
    h = await startEngineHarness({}, CALENDARS);
    for (const email of CALENDARS.slice(1)) h.sim.addUser(h.accountId, { email, firstName: email, lastName: 'Example' });
    const db = await freshPostgresDatabase();
    drop = db.drop;
    return db.url;
  }

  it('share the calendars out, and every event gets exactly one meeting while they run at once', async () => {
    const url = await start();
    const a = await replica(url, 'replica-a');
    const b = await replica(url, 'replica-b');
    const c = await replica(url, 'replica-c');
    const events = CALENDARS.flatMap((calendarId) => [h.source.put(tagged({ calendarId, organizerEmail: calendarId })), h.source.put(tagged({ calendarId, organizerEmail: calendarId }, 3))]);
    for (let round = 0; round < 4; round += 1) await Promise.all([a, b, c].map((r) => r.engine.runCycle()));
    const served = [a, b, c].map((r) => [...r.served()].sort());
    expect(served.flat().sort(), 'each calendar served by exactly one replica').toEqual(CALENDARS.map((id) => `mem\u0000${id}`).sort());
    expect(served.every((s) => s.length >= 1 && s.length <= 2), `a fair share each: ${JSON.stringify(served)}`).toBe(true);
    expect(h.sim.meetings()).toHaveLength(events.length);
    const posts = h.sim.server.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/v6/meeting')).length;
    expect(posts, 'one POST per event').toBe(events.length);
    for (const e of events) expect(a.store.mapping(e)?.state).toBe('active');
  });

  it("take over a dead replica's calendars once its leases expire, and a replica that stops gives them back at once", async () => {
    const url = await start();
    const a = await replica(url, 'replica-a');
    await a.engine.runCycle();
    expect(a.served().size).toBe(CALENDARS.length);
    // replica-a is SIGKILLed: its leases stay until they expire.
    const b = await replica(url, 'replica-b');
    await b.engine.runCycle();
    expect(b.served().size, 'nothing free while the dead replica’s leases last').toBe(0);
    await new Promise((r) => setTimeout(r, TTL_MS + 200));
    const e = h.source.put(tagged({ calendarId: 'carol@example.com', organizerEmail: 'carol@example.com' }));
    await b.engine.runCycle();
    expect(b.served().size).toBe(CALENDARS.length);
    expect(b.store.mapping(e)?.state).toBe('active');

    const c = await replica(url, 'replica-c');
    b.leases.release();
    await c.engine.runCycle();
    expect(c.served().size, 'a replica that stopped gave its calendars back').toBe(CALENDARS.length);
  });

  it('keeps the calendars of a cycle longer than the lease: the leases are renewed while it runs', async () => {
    const url = await start();
    const a = await replica(url, 'replica-a');
    const calendars = CALENDARS.map((calendarId) => ({ source: 'mem', calendarId }));
    expect(a.leases.claim(calendars).size).toBe(CALENDARS.length);
    const stop = a.leases.keepAlive();
    try {
      // A long first sync: no write for these calendars for longer than the lease.
      await new Promise((r) => setTimeout(r, TTL_MS + 500));
      const b = await replica(url, 'replica-b');
      expect(b.leases.claim(calendars).size, 'nothing taken from a replica still at work').toBe(0);
      a.store.saveMapping({ ...sampleMapping, source: 'mem', calendarId: 'dave@example.com' });
    } finally {
      stop();
    }
  });

  it("finds a restored database once, and each replica brings its own calendars' meetings back in step", async () => {
    const url = await start();
    const a = await replica(url, 'replica-a');
    const b = await replica(url, 'replica-b');
    const events = CALENDARS.map((calendarId) => h.source.put(tagged({ calendarId, organizerEmail: calendarId })));
    for (let round = 0; round < 2; round += 1) await Promise.all([a, b].map((r) => r.engine.runCycle()));
    const startOf = (e: (typeof events)[number]) => h.sim.meetings().find((m) => m.id === a.store.mapping(e)?.meetingId)?.startTime;
    const original = events.map(startOf);
    // IT's nightly copy, into another database.
    const copy = await freshPostgresDatabase();
    const copyStoreAt = Store.open(copy.url);
    copyStore(a.store, copyStoreAt);
    copyStoreAt.close();

    // Every event moved after the copy (meetings moved), then moved back while meetsync is stopped.
    const later = (iso: string) => new Date(Date.parse(iso) + 3 * 3_600_000).toISOString();
    for (const e of events) h.source.patch(e.calendarId, e.eventId, { start: later(e.start!), end: later(e.end!) });
    h.advance(5 * 60_000);
    for (let round = 0; round < 2; round += 1) await Promise.all([a, b].map((r) => r.engine.runCycle()));
    expect(events.map(startOf), 'moved').toEqual(events.map((e) => later(e.start!)));
    [a, b].forEach((r) => r.leases.release());
    for (const e of events) h.source.patch(e.calendarId, e.eventId, { start: e.start!, end: e.end! });

    // IT restores the copy into a new database and points the replicas at it.
    const restored = await freshPostgresDatabase();
    const previous = drop;
    drop = async () => {
      await previous?.();
      await copy.drop();
      await restored.drop();
    };
    const from = Store.open(copy.url);
    const to = Store.open(restored.url);
    copyStore(from, to);
    from.close();
    to.close();
    const a2 = await replica(restored.url, 'replica-a');
    const b2 = await replica(restored.url, 'replica-b');
    h.advance(5 * 60_000);
    // Both seen live before either claims, so that each takes its half; then one after the other:
    // the first finds the restore, the second has only what it owes to go by.
    for (const r of [a2, b2]) r.leases.claim([]);
    for (let round = 0; round < 2; round += 1) {
      await a2.engine.runCycle();
      await b2.engine.runCycle();
    }
    expect([a2.served().size, b2.served().size], 'each replica serves half').toEqual([2, 2]);
    expect(events.map((e) => h.sim.meetings().find((m) => m.id === a2.store.mapping(e)?.meetingId)?.startTime), "every calendar's meeting back where its event is").toEqual(original);
    expect(a2.store.notes()).toEqual([]);
  });

  it('fences a replica whose lease lapsed: it cannot write for that calendar any more', async () => {
    const url = await start();
    const a = await replica(url, 'replica-a');
    await a.engine.runCycle();
    // replica-a is paused longer than the lease; replica-b takes alice's calendar over.
    const b = await replica(url, 'replica-b');
    b.store.sql.run("UPDATE calendar_leases SET expires_at = '2000-01-01T00:00:00.000Z' WHERE calendar_id = ?", ['alice@example.com']);
    b.leases.claim([{ source: 'mem', calendarId: 'alice@example.com' }]);
    await new Promise((r) => setTimeout(r, TTL_MS / 2 + 100));
    expect(() => a.store.saveMapping({ ...sampleMapping, source: 'mem', calendarId: 'alice@example.com' })).toThrow(LeaseLostError);
    expect(a.store.mappings({ source: 'mem', calendarId: 'alice@example.com' }), 'nothing written').toEqual([]);
    // Its other calendars it still holds: writes for them go through.
    a.store.saveMapping({ ...sampleMapping, source: 'mem', calendarId: 'bob@example.com' });
    expect(a.store.mappings({ source: 'mem', calendarId: 'bob@example.com' })).toHaveLength(1);
  });
});
