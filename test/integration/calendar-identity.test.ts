import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/calendars/memory.js';
import { calendarIdentity } from '../../src/domain/calendar-identity.js';
import { silentLogger } from '../../src/log.js';
import { settleCalendarKeys } from '../../src/store/calendar-keys.js';
import { Store } from '../../src/store/store.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { buildStatus } from '../../src/status.js';
import { ALICE, CAL, settings, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';

const TEAM = 'team@example.com';

/**
 * Issue 15, finding 2, through the real engine and the platform simulator: mappings of a
 * calendar no longer configured are dormant and never count as holding a meeting.
 */
describe('a calendar taken out of the config', () => {
  let h: EngineHarness;
  beforeEach(async () => {
    h = await startEngineHarness({}, [CAL, TEAM]);
  });
  afterEach(async () => h.close());

  it("does not make an event moved from it into a configured calendar a copy: the event keeps the meeting, nothing is deleted", async () => {
    const original = h.source.put(tagged({ calendarId: TEAM, title: 'Team sync #webmeeting' }));
    expect((await h.engine.runCycle()).counts.created).toBe(1);
    const [meeting] = h.sim.meetings();
    const stamp = h.source.peek(TEAM, original.eventId)!.stamp!;
    expect(stamp.meetingId).toBe(meeting!.id);

    // TEAM leaves the config; the event moves into Alice's calendar with its stamp (Outlook's
    // move keeps extended properties; an import keeps them too).
    const alice = new MemorySource({ name: 'mem', calendars: [CAL] });
    const moved = alice.put({ ...h.source.peek(TEAM, original.eventId)!, calendarId: CAL, eventId: 'moved-1' });
    // A new source object knows nothing of the cursors the first one handed out: read it fully.
    alice.expireCursors();
    const engine = new SyncEngine({ store: h.store, platform: h.platform, sources: [alice], settings: settings({ accountIds: [h.accountId] }), logger: silentLogger(), now: () => h.now });
    const report = await engine.runCycle();

    expect(report.counts).toMatchObject({ created: 0, adopted: 1, failed: 0 });
    expect(h.sim.meetings().map((m) => m.id)).toEqual([meeting!.id]);
    expect(h.store.mapping(moved)).toMatchObject({ state: 'active', meetingId: meeting!.id });
    // The dormant mapping is left as it was: nothing reads TEAM any more.
    expect(h.store.mapping({ source: 'mem', calendarId: TEAM, eventId: original.eventId })).toMatchObject({ state: 'active', meetingId: meeting!.id });

    const status = buildStatus(h.store, [{ source: 'mem', calendarId: CAL }]);
    expect(status.dormant).toEqual([{ source: 'mem', calendarId: TEAM, meetings: { creating: 0, active: 1, cancelled: 0, kept: 0 } }]);
    expect(status.leftToDo).toEqual({ failed: 0, creating: 0, writeBacks: 0, unconfirmed: 0, needPerson: 0 });
    expect(status.attention).toEqual([]);
  });
});

/** store/calendar-keys.ts: the rows follow the calendar, not the config's name for it. */
describe('settleCalendarKeys', () => {
  let store: Store;
  beforeEach(() => {
    store = Store.open(':memory:');
  });
  afterEach(() => store.close());

  const at = new Date('2026-12-01T08:00:00.000Z');
  const google = (name: string, id: string) => ({ source: name, calendarId: id, identity: calendarIdentity({ kind: 'google', name }, id) });
  const mapping = (source: string, calendarId: string, eventId: string) => {
    store.saveMapping({
      source, calendarId, eventId, organizerEmail: ALICE, userId: 'u1', marker: `meetsync:${source}:${calendarId}:${eventId}`, meetingId: `m-${eventId}`,
      state: 'active', topic: 't', start: '2030-01-07T09:00:00.000Z', end: '2030-01-07T10:00:00.000Z', recurrence: null, writeBack: 'done',
      createdAt: at.toISOString(), updatedAt: at.toISOString(),
    });
  };
  const where = (eventId: string) => store.mappings().filter((m) => m.eventId === eventId).map((m) => `${m.source}/${m.calendarId}`);

  it('claims rows from before schema 5 at the first start, then moves them with a rename and a change of case', () => {
    mapping('a', 'x@example.com', 'e1');
    store.saveCalendarState({ source: 'a', calendarId: 'x@example.com', cursor: 'token-1', consecutiveFailures: 0 });
    store.journal([{ source: 'a', calendarId: 'x@example.com', eventId: 'e1', at: at.toISOString(), kind: 'call', what: 'POST /meeting', outcome: 'ok', meetingId: 'm-e1' }]);
    expect(settleCalendarKeys(store, [google('a', 'x@example.com')], at)).toEqual({ moved: [], parked: [] });

    const report = settleCalendarKeys(store, [google('b', 'X@Example.com')], at);
    expect(report.moved).toEqual([{ identity: 'google:x@example.com', from: { source: 'a', calendarId: 'x@example.com' }, to: { source: 'b', calendarId: 'X@Example.com' } }]);
    expect(where('e1')).toEqual(['b/X@Example.com']);
    expect(store.calendarState('b', 'X@Example.com').cursor).toBe('token-1');
    // Issue 20: the event's story moves with it, so `meetsync explain` finds it under the new name alone.
    expect(store.journalOf({ source: 'b', calendarId: 'X@Example.com', eventId: 'e1' }).map((e) => e.what)).toEqual(['POST /meeting']);
    expect(store.eventsById('e1')).toEqual([{ source: 'b', calendarId: 'X@Example.com', eventId: 'e1' }]);
    // Idempotent: the same config again moves nothing.
    expect(settleCalendarKeys(store, [google('b', 'X@Example.com')], at)).toEqual({ moved: [], parked: [] });
  });

  it('writes nothing at a start whose config names the calendars as before (a quiet cycle stays in proportion to the changes)', () => {
    const calendars = Array.from({ length: 50 }, (_, i) => google('corp', `user${i}@example.com`));
    settleCalendarKeys(store, calendars, at);
    const changes = () => (store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const before = changes();
    settleCalendarKeys(store, calendars, new Date(at.getTime() + 300_000));
    expect(changes() - before).toBe(0);
  });

  it('swaps the rows of two sources that swap names', () => {
    mapping('a', 'primary', 'e1');
    mapping('b', 'primary', 'e2');
    // `primary` is known by its source name: these two are different calendars, renamed crosswise through Outlook-like ids instead.
    mapping('one', 'x@example.com', 'e3');
    mapping('two', 'x@example.com', 'e4');
    const out = { kind: 'outlook' as const, name: '', auth: { tenantId: 't1' } };
    const other = { kind: 'outlook' as const, name: '', auth: { tenantId: 't2' } };
    settleCalendarKeys(store, [
      { source: 'one', calendarId: 'x@example.com', identity: calendarIdentity(out, 'x@example.com') },
      { source: 'two', calendarId: 'x@example.com', identity: calendarIdentity(other, 'x@example.com') },
    ], at);
    settleCalendarKeys(store, [
      { source: 'two', calendarId: 'x@example.com', identity: calendarIdentity(out, 'x@example.com') },
      { source: 'one', calendarId: 'x@example.com', identity: calendarIdentity(other, 'x@example.com') },
    ], at);
    expect(where('e3')).toEqual(['two/x@example.com']);
    expect(where('e4')).toEqual(['one/x@example.com']);
  });

  it('moves a dormant calendar aside when another calendar takes its name, and brings it back when configured again', () => {
    mapping('a', 'x@example.com', 'e1');
    const tenant1 = { kind: 'outlook' as const, name: 'a', auth: { tenantId: 't1' } };
    const tenant2 = { kind: 'outlook' as const, name: 'a', auth: { tenantId: 't2' } };
    settleCalendarKeys(store, [{ source: 'a', calendarId: 'x@example.com', identity: calendarIdentity(tenant1, 'x@example.com') }], at);

    const report = settleCalendarKeys(store, [{ source: 'a', calendarId: 'x@example.com', identity: calendarIdentity(tenant2, 'x@example.com') }], at);
    expect(report.parked).toEqual([{ from: { source: 'a', calendarId: 'x@example.com' }, to: { source: 'a (dormant)', calendarId: 'x@example.com' } }]);
    expect(where('e1')).toEqual(['a (dormant)/x@example.com']);

    settleCalendarKeys(store, [{ source: 'b', calendarId: 'x@example.com', identity: calendarIdentity(tenant1, 'x@example.com') }], at);
    expect(where('e1')).toEqual(['b/x@example.com']);
  });
});
