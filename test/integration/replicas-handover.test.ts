import { afterEach, describe, expect, it } from 'vitest';
import type { CalendarEvent } from '../../src/domain/event.js';
import type { EngineSettings } from '../../src/sync/settings.js';
import { NetworkError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { holdForRepair } from '../../src/reconcile/run.js';
import { agendaFor } from '../../src/sync/execute.js';
import { buildStatus, renderStatus, statusNeedsAttention } from '../../src/status.js';
import { CalendarLeases } from '../../src/store/leases.js';
import { Store } from '../../src/store/store.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import type { WebMeetingSimulatorOptions } from '../../src/simulators/webmeeting/server.js';
import { settings, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';
import { freshPostgresDatabase } from '../support/postgres.js';

/**
 * Issue 17 retired the shard hand-over: its tests (resharding, resharding-unlinked, the shard
 * parts of kept-meeting) and the four findings that broke it, restated for replicas on one
 * PostgreSQL database (a real server, test/support/postgres-server.ts). A calendar changes hands
 * when a replica joins, leaves (gives its leases back) or dies (its leases expire); nothing is
 * handed over, because every replica reads and writes the same records. These pass because the
 * cause (several databases that cannot see each other) is gone: no hand-over code, no feed check
 * before creating.
 */
const CALENDARS = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'].map((n) => `${n}@example.com`);
const TTL_MS = 3_000;
const key = (calendarId: string) => `mem\u0000${calendarId}`;

interface Replica {
  name: string;
  engine: SyncEngine;
  leases: CalendarLeases;
  store: Store;
  /** The calendars its last cycle served. */
  served: () => Set<string>;
  /** SIGKILL: stops, its leases stay until they expire. */
  kill: () => void;
  /** A graceful stop: its leases are given back. */
  stop: () => void;
}

let h: EngineHarness;
let drop: (() => Promise<void>) | undefined;
let url: string;
const replicas: Replica[] = [];
afterEach(async () => {
  for (const r of replicas.splice(0)) r.store.close();
  await h?.close();
  await drop?.();
});

async function world(calendars: string[], over: Partial<EngineSettings> = {}, sim: Partial<WebMeetingSimulatorOptions> = {}): Promise<void> {
  h = await startEngineHarness(over, calendars, sim);
  for (const email of calendars) h.sim.addUser(h.accountId, { email, firstName: email, lastName: 'Example' });
  const db = await freshPostgresDatabase();
  drop = db.drop;
  url = db.url;
}

/** A `meetsync run` on the shared database: its own connection, leases and engine, as src/app.ts wires them. */
async function replica(name: string, over: Partial<EngineSettings> = {}): Promise<Replica> {
  const store = Store.open(url);
  await refreshOrganizers(h.platform, store, [h.accountId], h.now);
  const leases = new CalendarLeases(store, { replicaId: name, ttlMs: TTL_MS });
  store.fence = (source, calendarId) => leases.guard(source, calendarId);
  const engine = new SyncEngine({ store, platform: h.platform, sources: [h.source], settings: settings({ accountIds: [h.accountId], ...over }), logger: silentLogger(), now: () => h.now, leases });
  let last = new Set<string>();
  const claim = leases.claim.bind(leases);
  leases.claim = (configured) => (last = claim(configured));
  // The stores of one test process share one connection (store/postgres-sql.ts): a replica that
  // dies is one that is never called again, its leases left to expire.
  let alive = true;
  const r: Replica = {
    name,
    engine,
    leases,
    store,
    served: () => last,
    kill: () => {
      alive = false;
    },
    stop: () => {
      if (alive) leases.release();
      alive = false;
    },
  };
  const cycle = engine.runCycle.bind(engine);
  engine.runCycle = (...args) => {
    if (!alive) throw new Error(`${name} is stopped`);
    return cycle(...args);
  };
  replicas.push(r);
  return r;
}

/** One cycle of each replica in turn (a cron tick each), `rounds` times. */
async function cycles(rs: Replica[], rounds = 1): Promise<void> {
  for (let i = 0; i < rounds; i += 1) for (const r of rs) await r.engine.runCycle();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const posts = () => h.sim.server.received('POST', '/api/v6/meeting').length;
const holderOf = (rs: Replica[], calendarId: string) => rs.find((r) => r.served().has(key(calendarId)));
const stampOf = (e: Pick<CalendarEvent, 'calendarId' | 'eventId'>) => h.source.peek(e.calendarId, e.eventId)?.stamp?.meetingId;
const liveIds = () => h.sim.meetings().map((m) => m.id);

/** Every live tagged event has exactly one meeting: its stamp names it, no two share one, and no other meeting exists. */
function expectOneMeetingEach(events: Array<Pick<CalendarEvent, 'calendarId' | 'eventId'>>): void {
  const stamps = events.map(stampOf);
  expect(stamps.every((s) => s !== undefined), 'every event links its meeting').toBe(true);
  expect(new Set(stamps).size).toBe(events.length);
  expect(liveIds().sort()).toEqual([...(stamps as string[])].sort());
}

describe('replicas joining and leaving one PostgreSQL database (was: re-sharding 2 -> 3 -> 2)', () => {
  it('never posts a second meeting, with a creation unconfirmed while its calendar changes hands; meetings follow their events; reconcile --repair finds nothing to do', async () => {
    await world(CALENDARS);
    const events = CALENDARS.map((calendarId, i) => h.source.put(tagged({ calendarId, organizerEmail: calendarId, title: `Meeting ${i} #webmeeting` }, 2 + i)));

    // Phase 1: two replicas. The answer to one creation is lost, and the feed lags: it stays unconfirmed.
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    h.sim.lagFeed(new Date(0));
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await cycles([a, b], 2);
    expect([a, b].map((r) => r.served().size)).toEqual([3, 3]);
    expect(posts()).toBe(events.length);
    const inFlight = events.find((e) => a.store.mapping(e)?.state === 'creating')!;
    expect(inFlight, 'one creation unconfirmed').toBeDefined();
    const firstOwner = holderOf([a, b], inFlight.calendarId)!;

    // Phase 2: a third replica joins while the owner of the unconfirmed creation stops; events change meanwhile.
    h.source.patch(events[1]!.calendarId, events[1]!.eventId, { title: 'Renamed on the move #webmeeting' });
    const moved = new Date(Date.parse(events[2]!.start!) + 3_600_000);
    h.source.patch(events[2]!.calendarId, events[2]!.eventId, { start: moved.toISOString(), end: new Date(moved.getTime() + 5_400_000).toISOString() });
    const c = await replica('replica-c');
    firstOwner.stop();
    const other = firstOwner === a ? b : a;
    const d = await replica('replica-d');
    h.sim.lagFeed(undefined);
    h.advance(5 * 60_000);
    await cycles([other, c, d], 3);
    const three = [other, c, d];
    expect(three.map((r) => r.served().size), 'each of three serves its share').toEqual([2, 2, 2]);
    // status says which replica holds each calendar's lease.
    const shares = buildStatus(c.store, CALENDARS.map((calendarId) => ({ source: 'mem', calendarId })), { now: h.now });
    for (const cal of shares.calendars) expect(cal.lease?.holder, cal.calendarId).toBe(holderOf(three, cal.calendarId)!.name);
    expect(renderStatus(shares)).toContain(`  served by:    replica replica-c (lease until `);
    expect(holderOf(three, inFlight.calendarId), 'the unconfirmed creation changed hands').toBeDefined();
    // Its new holder found the meeting in the feed by its reference (pending creations are records, shared): no second POST.
    expect(posts()).toBe(events.length);
    expect(other.store.mapping(inFlight)).toMatchObject({ state: 'active', writeBack: 'done' });
    expectOneMeetingEach(events);
    const meetingOf = (e: CalendarEvent) => h.sim.meetings().find((m) => m.id === stampOf(e));
    expect(meetingOf(events[1]!)?.topic).toBe('Renamed on the move');
    expect(Date.parse(meetingOf(events[2]!)!.startTime)).toBe(moved.getTime());

    // A quiet round: nothing written anywhere.
    const writesBefore = h.sim.server.requests.filter((r) => r.method !== 'GET').length;
    await cycles(three);
    expect(h.sim.server.requests.filter((r) => r.method !== 'GET').length).toBe(writesBefore);

    // Phase 3: back to two. replica-d is SIGKILLed: its calendars wait at most the lease's time.
    const gone = d;
    const orphaned = [...gone.served()];
    gone.kill();
    const deleted = events.find((e) => orphaned.includes(key(e.calendarId)))!;
    const deletedMeeting = stampOf(deleted)!;
    h.source.remove(deleted.calendarId, deleted.eventId);
    await cycles([other, c]);
    expect(liveIds(), 'nobody serves its calendars while its leases last').toContain(deletedMeeting);
    await sleep(TTL_MS + 200);
    await cycles([other, c], 2);
    expect([other, c].map((r) => r.served().size)).toEqual([3, 3]);
    expect(liveIds()).not.toContain(deletedMeeting);
    expect(h.sim.server.received('DELETE').length).toBe(1);
    const live = events.filter((e) => e !== deleted);
    expectOneMeetingEach(live);
    expect(posts()).toBe(events.length);

    // The shared records are the whole truth: a repair with --delete-orphans finds nothing missing or orphaned, and changes nothing.
    h.advance(15 * 60_000);
    const before = h.sim.server.requests.filter((r) => r.method !== 'GET').length;
    const report = await reconcile({
      store: c.store, platform: h.platform, logger: silentLogger(), now: () => h.now,
      repair: { dryRun: false, deleteOrphans: true, sources: new Map([[h.source.name, h.source]]), rules: { keywords: ['#webmeeting'], outlookCategories: [] }, defaults: { type: 'standard', isRecorded: false, isDialin: false } },
    });
    expect(report.findings.filter((f) => f.kind !== 'in-step')).toEqual([]);
    expect(h.sim.server.requests.filter((r) => r.method !== 'GET').length).toBe(before);
    const status = buildStatus(c.store, CALENDARS.map((calendarId) => ({ source: 'mem', calendarId })), { now: h.now });
    expect(statusNeedsAttention(status), renderStatus(status)).toBe(false);
  }, 60_000);
});

describe('the findings of issue 17, with replicas on one database', () => {
  it.each([
    ["the new calendar's replica looks first", 'to-first'],
    ["the old calendar's replica looks first", 'from-first'],
  ])('2. an event moved between calendars served by two replicas keeps a live meeting and a link that names it (%s)', async (_case, order) => {
    const [from, to] = CALENDARS;
    await world([from!, to!]);
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    const e = h.source.put(tagged({ calendarId: from!, organizerEmail: from!, title: 'Moving #webmeeting' }));
    await cycles([a, b], 2);
    const holderFrom = holderOf([a, b], from!)!;
    const holderTo = holderOf([a, b], to!)!;
    expect(holderFrom).not.toBe(holderTo);
    const meeting = stampOf(e)!;
    expect(liveIds()).toEqual([meeting]);

    // The organizer moves the event to the other calendar: it keeps its stamp and link.
    const movedEvent = h.source.put({ ...h.source.peek(from!, e.eventId)!, calendarId: to!, eventId: 'moved-1' });
    h.source.remove(from!, e.eventId);
    await cycles(order === 'to-first' ? [holderTo, holderFrom] : [holderFrom, holderTo], 3);
    // Both replicas read and write the same records, so the move is seen as one machine sees it:
    // the stamp another record held makes the moved event a copy with a meeting of its own
    // (sync/plan.ts), the old event's meeting is deleted, and the link is rewritten to the new one.
    // The shards' failure (a link to a deleted meeting, for good) cannot happen.
    expect(h.sim.meetings(), 'one meeting').toHaveLength(1);
    const now = stampOf(movedEvent);
    expect(now, 'the moved event links the live meeting, never a deleted one').toBe(liveIds()[0]);
    expect(a.store.mapping(movedEvent)).toMatchObject({ state: 'active', meetingId: now, writeBack: 'done' });
    expect(a.store.mappingsByMeeting(meeting).every((m) => m.state !== 'active')).toBe(true);
    // A quiet round after: nothing more to do for anybody.
    const before = h.sim.server.requests.length;
    await cycles([a, b]);
    expect(h.sim.server.requests.length).toBe(before);
  });

  // Was test/integration/resharding-unlinked.test.ts: the new owner found such a meeting in the feed.
  it.each([
    ['the write-back failed', () => {
      for (let i = 0; i < 100; i += 1) h.source.failNext('writeJoinDetails', new NetworkError('injected: connection reset'));
    }],
    ["the creation's answer was lost", () => h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' })],
  ])('a calendar changing hands with a meeting whose link never reached the event (%s): the next holder finishes it, nothing is created twice', async (_case, fail) => {
    const cal = CALENDARS[0]!;
    await world([cal]);
    const a = await replica('replica-a');
    const e = h.source.put(tagged({ calendarId: cal, organizerEmail: cal, title: 'Planning #webmeeting' }));
    fail();
    await a.engine.runCycle();
    h.source.clearFailures();
    h.sim.server.clearFaults();
    expect(h.sim.meetings()).toHaveLength(1);
    expect(stampOf(e)).toBeUndefined();
    const made = h.sim.meetings()[0]!.id;

    // replica-a dies; replica-b takes the calendar over once its lease expires.
    a.kill();
    const b = await replica('replica-b');
    await sleep(TTL_MS + 200);
    h.advance(5 * 60_000);
    await b.engine.runCycle();
    expect(b.served().has(key(cal))).toBe(true);
    expect(posts()).toBe(1);
    expect(liveIds()).toEqual([made]);
    expect(b.store.mapping(e)).toMatchObject({ state: 'active', meetingId: made, writeBack: 'done' });
    expect(stampOf(e)).toBe(made);
    // In step from now on: a quiet cycle asks nothing of the platform.
    const before = h.sim.server.requests.length;
    h.advance(5 * 60_000);
    await b.engine.runCycle();
    expect(h.sim.server.requests.length).toBe(before);
  });

  it('3. an event untagged while its calendar changes hands loses its meeting and its link', async () => {
    await world(CALENDARS.slice(0, 2));
    const a = await replica('replica-a');
    const e = h.source.put(tagged({ calendarId: CALENDARS[0]!, organizerEmail: CALENDARS[0]!, title: 'Standup #webmeeting' }));
    await a.engine.runCycle();
    expect(a.served().has(key(CALENDARS[0]!))).toBe(true);
    expect(stampOf(e)).toBeDefined();

    // Untagged while replica-a dies: replica-b takes the calendar over once the lease expires.
    h.source.patch(CALENDARS[0]!, e.eventId, { title: 'Standup' });
    a.kill();
    const b = await replica('replica-b');
    await sleep(TTL_MS + 200);
    await b.engine.runCycle();
    expect(b.served().has(key(CALENDARS[0]!))).toBe(true);
    expect(h.sim.meetings()).toEqual([]);
    expect(stampOf(e)).toBeUndefined();
    expect(h.source.peek(CALENDARS[0]!, e.eventId)!.description).toBe('Agenda: budget');
    expect(b.store.mapping(e)?.state).toBe('cancelled');

    // And while it changes hands by a graceful stop: the same.
    const f = h.source.put(tagged({ calendarId: CALENDARS[0]!, organizerEmail: CALENDARS[0]!, title: 'Retro #webmeeting' }));
    await b.engine.runCycle();
    expect(h.sim.meetings()).toHaveLength(1);
    h.source.patch(CALENDARS[0]!, f.eventId, { title: 'Retro' });
    b.stop();
    const c = await replica('replica-c');
    await c.engine.runCycle();
    expect(h.sim.meetings()).toEqual([]);
    expect(stampOf(f)).toBeUndefined();
  });

  it("4. following status' advice with a feed that names meetings by number only gives the event a new meeting, whichever replica holds it", async () => {
    await world([CALENDARS[0]!], {}, { feedNames: 'number' });
    const cal = CALENDARS[0]!;
    const a = await replica('replica-a');
    const e = h.source.put(tagged({ calendarId: cal, organizerEmail: cal, title: 'Board #webmeeting' }));
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await a.engine.runCycle();
    // The replica that posted dies; another takes the calendar and the unconfirmed creation over.
    a.kill();
    const b = await replica('replica-b');
    await sleep(TTL_MS + 200);
    for (let i = 0; i < 4; i += 1) {
      h.advance(30 * 60_000);
      await b.engine.runCycle();
    }
    expect(b.served().has(key(cal))).toBe(true);
    expect(posts()).toBe(1);
    const status = buildStatus(b.store, [{ source: 'mem', calendarId: cal }], { now: h.now });
    const advice = status.problems.find((p) => p.eventId === e.eventId)?.reason ?? '';
    const number = /Delete meeting (\S+) on the platform to have it created again/.exec(advice)?.[1];
    expect(number, advice).toBe(h.sim.meetings()[0]!.meetingId);

    // A person follows the advice; the calendar changes hands once more before the next look.
    await h.platform.deleteMeeting(b.store.mapping(e)!.userId, h.sim.meetings()[0]!.id);
    b.stop();
    const c = await replica('replica-c');
    h.advance(60 * 60_000);
    await c.engine.runCycle();
    h.advance(15 * 60_000);
    await c.engine.runCycle();
    expect(h.sim.meetings(), 'a new meeting').toHaveLength(1);
    expect(c.store.mapping(e)).toMatchObject({ state: 'active', meetingId: h.sim.meetings()[0]!.id });
    expect(stampOf(e)).toBe(h.sim.meetings()[0]!.id);
  });
});

describe('a kept meeting when its event is tagged again on another replica (was: kept-meeting, several shards)', () => {
  it('gets a new meeting, and again beside a second kept one; the kept ones are not touched', async () => {
    await world([CALENDARS[0]!], { onEventCancelled: 'keep' });
    const cal = CALENDARS[0]!;
    const a = await replica('replica-a', { onEventCancelled: 'keep' });
    const e = h.source.put(tagged({ calendarId: cal, organizerEmail: cal, title: 'Design review #webmeeting' }));
    await a.engine.runCycle();
    const kept = a.store.mapping(e)!.meetingId!;
    h.source.patch(cal, e.eventId, { title: 'Design review' });
    await a.engine.runCycle();
    expect(a.store.mapping(e)?.state).toBe('kept');
    h.source.patch(cal, e.eventId, { title: 'Design review #webmeeting' });
    a.stop();

    const b = await replica('replica-b', { onEventCancelled: 'keep' });
    const puts = h.sim.server.received('PUT').length;
    await b.engine.runCycle();
    const second = b.store.mapping(e)!.meetingId!;
    expect(second).not.toBe(kept);
    expect(h.sim.meetings()).toHaveLength(2);
    expect(h.sim.server.received('PUT').length).toBe(puts);

    h.source.patch(cal, e.eventId, { title: 'Design review' });
    await b.engine.runCycle();
    h.source.patch(cal, e.eventId, { title: 'Design review #webmeeting' });
    b.stop();
    const c = await replica('replica-c', { onEventCancelled: 'keep' });
    await c.engine.runCycle();
    const third = c.store.mapping(e)!.meetingId!;
    expect([kept, second]).not.toContain(third);
    expect(h.sim.meetings()).toHaveLength(3);
    expect(h.sim.server.received('PUT').length).toBe(puts);
  });
});

describe('reconcile --repair beside replicas', () => {
  const REPAIR = { dryRun: false, deleteOrphans: false, sources: new Map(), rules: { keywords: ['#webmeeting'], outlookCategories: [] }, defaults: { type: 'standard', isRecorded: false, isDialin: false } } as const;

  /** A tagged event with its meeting, served by replica-a, and the meeting moved on the platform behind meetsync's back (time drift). */
  async function drifted(): Promise<{ a: Replica; e: CalendarEvent; meetingId: string; repairStore: Store }> {
    const cal = CALENDARS[0]!;
    await world([cal]);
    const a = await replica('replica-a');
    const e = h.source.put(tagged({ calendarId: cal, organizerEmail: cal, title: 'Planning #webmeeting' }));
    await a.engine.runCycle();
    const m = a.store.mapping(e)!;
    const meetingId = m.meetingId!;
    const later = (iso: string) => new Date(Date.parse(iso) + 3_600_000).toISOString();
    await h.platform.updateMeeting(m.userId, meetingId, {
      topic: m.topic, startTime: later(m.start), endTime: later(m.end), agenda: agendaFor(m.marker), type: 'standard', isRecorded: false, isDialin: false, recurrence: m.recurrence,
    });
    h.advance(15 * 60_000);
    const repairStore = Store.open(url);
    replicas.push({ store: repairStore } as Replica);
    return { a, e, meetingId, repairStore };
  }

  const repairWith = (store: Store, waitMs: number) =>
    reconcile({ store, platform: h.platform, logger: silentLogger(), now: () => h.now, repair: { ...REPAIR, sources: new Map([[h.source.name, h.source]]), hold: holdForRepair({ store, logger: silentLogger(), ttlMs: TTL_MS, waitMs }) } });

  it('takes the lease of the calendar it repairs: the replica hands it over at its next cycle, serves it not meanwhile, and takes it back after', async () => {
    const { a, e, meetingId, repairStore } = await drifted();
    const servedWhileRepairing: boolean[] = [];
    let repairing = true;
    // replica-a's cron ticks while the repair runs.
    const ticks = (async () => {
      while (repairing) {
        await sleep(300);
        await a.engine.runCycle();
        servedWhileRepairing.push(a.served().has(key(e.calendarId)));
      }
    })();
    const report = await repairWith(repairStore, 20_000).finally(() => (repairing = false));
    await ticks;
    const drift = report.findings.find((f) => f.kind === 'time-drift');
    expect(drift?.repair, JSON.stringify(report.findings.map((f) => [f.kind, f.repair]))).toMatchObject({ action: 'update', outcome: 'done' });
    expect(h.sim.meetings().find((m) => m.id === meetingId)?.startTime, 'the meeting is back at its event time').toBe(e.start);
    expect(servedWhileRepairing, 'the replica gave the calendar up for the repair').toContain(false);
    await a.engine.runCycle();
    expect(a.served().has(key(e.calendarId)), 'and takes it back after').toBe(true);
    expect(posts(), 'one meeting, ever').toBe(1);
  });

  it('leaves a calendar out when its replica does not hand it over in time, and writes nothing for it', async () => {
    const { e, meetingId, repairStore } = await drifted();
    const puts = () => h.sim.server.requests.filter((r) => r.method === 'PUT').length;
    const before = puts();
    // replica-a holds the calendar and has no cycle before the repair gives up.
    const report = await repairWith(repairStore, 1_500);
    expect(report.findings.find((f) => f.kind === 'time-drift')?.repair).toMatchObject({ outcome: 'skipped', detail: expect.stringMatching(/did not hand it over within 2 s .*run the repair again/) });
    expect(puts()).toBe(before);
    expect(h.sim.meetings().find((m) => m.id === meetingId)?.startTime).not.toBe(e.start);
  });
});
