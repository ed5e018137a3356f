import { afterEach, describe, expect, it } from 'vitest';
import { NetworkError } from '../../src/domain/errors.js';
import { buildStatus, renderStatus, statusNeedsAttention } from '../../src/status.js';
import { CAL, giveAliceAKnownMeeting, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';

/**
 * Issue 7: the ways a change could be lost or a meeting duplicated, each through the real engine,
 * store and Web Meeting client against the simulator over HTTPS.
 */

const KEY_REFUSED = { kind: 'status' as const, status: 401, body: { responseCode: -1, responseMessage: 'API key not valid', data: null }, count: 1_000, pathIncludes: '/api/v6/' };
const DATA_NOT_VALID = { kind: 'status' as const, status: 400, body: { responseCode: -4, responseMessage: 'data not valid: topic too long', data: null } };

describe('engine failures', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());
  const meetingCalls = (method: string) => h.sim.server.received(method, '/api/v6/meeting');
  const statusOf = () => buildStatus(h.store, [{ source: 'mem', calendarId: CAL }]);

  it('loses no change while the platform refuses the API key, and applies every one once it is back', async () => {
    h = await startEngineHarness();
    const moved = h.source.put(tagged());
    const deleted = h.source.put(tagged());
    await h.engine.runCycle();
    const cursor = h.store.calendarState('mem', CAL).cursor;
    const added = h.source.put(tagged({ title: 'Added while refused #webmeeting' }));
    const newStart = new Date(Date.parse(moved.start!) + 7_200_000).toISOString();
    const newEnd = new Date(Date.parse(moved.end!) + 7_200_000).toISOString();
    h.source.patch(CAL, moved.eventId, { start: newStart, end: newEnd });
    h.source.remove(CAL, deleted.eventId);

    h.sim.server.inject(KEY_REFUSED);
    const refused = await h.engine.runCycle();
    expect(refused.halted?.credential).toBe(true);
    expect(refused.halted?.error).toMatch(/refused meetsync's API key .*HTTP 401.*check webMeeting\.apiKey/);
    expect(refused.calendars).toEqual([expect.objectContaining({ ok: false, authError: true })]);
    expect(h.store.calendarState('mem', CAL).cursor, 'the cursor stays before the changes').toBe(cursor);
    expect(h.store.lastRuns(1)[0]?.ok).toBe(false);
    expect(statusNeedsAttention(statusOf())).toBe(true);
    // Three more cycles while refused: still nothing moves on.
    for (let i = 0; i < 3; i += 1) await h.engine.runCycle();
    expect(h.store.calendarState('mem', CAL).cursor).toBe(cursor);

    h.sim.server.clearFaults();
    const back = await h.engine.runCycle();
    expect(back.counts).toMatchObject({ created: 1, updated: 1, cancelled: 1, failed: 0 });
    expect(h.sim.meetings().map((m) => m.topic).sort()).toEqual(['Added while refused', expect.stringMatching(/^Planning/)].sort());
    expect(h.sim.meetings().find((m) => m.id === h.store.mapping(moved)!.meetingId)?.startTime).toBe(newStart);
    expect(h.store.mapping(added)?.state).toBe('active');
    expect(h.store.mapping(deleted)?.state).toBe('cancelled');
    expect(statusNeedsAttention(statusOf())).toBe(false);
    expect(h.store.lastRuns(1)[0]?.ok).toBe(true);
    const before = h.platformCalls();
    await h.engine.runCycle();
    expect(h.platformCalls()).toBe(before);
  });

  it('shows an event the platform refuses with its reason, and tries it again only when the event changes', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged());
    h.sim.server.inject({ ...DATA_NOT_VALID, method: 'POST', pathIncludes: '/api/v6/meeting' });
    const first = await h.engine.runCycle();
    expect(first.counts.failed).toBe(1);
    expect(first.halted).toBeUndefined();
    const status = statusOf();
    expect(status.problems[0]?.reason).toMatch(/create refused by the platform: .*data not valid: topic too long; tried again when the event changes/);
    expect(statusNeedsAttention(status)).toBe(true);
    expect(h.store.mappings()).toEqual([]);
    await h.engine.runCycle();
    expect(meetingCalls('POST')).toHaveLength(1);
    h.source.patch(CAL, e.eventId, { title: 'Shorter #webmeeting' });
    const again = await h.engine.runCycle();
    expect(again.counts.created).toBe(1);
    expect(h.store.notes()).toEqual([]);
  });

  it('reports an account it cannot read and syncs the calendars all the same', async () => {
    h = await startEngineHarness({ accountIds: ['0123456789abcdef01234567'] });
    h.rebuild({ accountIds: ['0123456789abcdef01234567', h.accountId] });
    h.source.put(tagged({ organizerEmail: 'bob@example.com' }));
    const mine = h.source.put(tagged());
    const report = await h.engine.runCycle();
    expect(report.problems).toEqual([expect.stringMatching(/account 0123456789abcdef01234567 could not be read: .*account not found/)]);
    expect(report.counts.created).toBe(1);
    expect(h.store.mapping(mine)?.state).toBe('active');
    expect(h.store.lastRuns(1)[0]).toMatchObject({ ok: false, error: expect.stringMatching(/could not be read/) });
  });

  it('reports a failed provisioning and syncs the other events', async () => {
    h = await startEngineHarness({ provisioning: { enabled: true, accountType: 'trial', preferredLanguage: 'en', sendPassword: false, paidUntil: '2027-12-31T00:00:00.000Z' } });
    h.sim.server.inject({ kind: 'status', status: 200, body: { responseCode: -10, responseMessage: 'account already exists', data: null }, method: 'POST', pathIncludes: '/api/v6/account' });
    h.source.put(tagged({ organizerEmail: 'carol@example.com' }));
    const mine = h.source.put(tagged());
    const report = await h.engine.runCycle();
    expect(report.problems).toEqual([expect.stringMatching(/could not create a platform account for carol@example.com: .*account already exists/)]);
    expect(h.store.mapping(mine)?.state).toBe('active');
  });

  it('asks the platform nothing in a cycle with no change, in a new process, while an event waits for its organizer', async () => {
    h = await startEngineHarness();
    h.source.put(tagged({ organizerEmail: 'bob@example.com' }));
    await h.engine.runCycle();
    for (let i = 0; i < 2; i += 1) {
      h.advance(5 * 60_000);
      const before = h.platformCalls();
      await h.rebuild().runCycle(); // 'meetsync sync' from cron: a new engine every time
      expect(h.platformCalls(), `cycle ${i + 1} after the first`).toBe(before);
    }
    h.advance(5 * 60_000); // 15 minutes since the platform was asked
    const before = h.platformCalls();
    await h.rebuild().runCycle();
    expect(h.platformCalls()).toBe(before + 1);
  });

  it('creates a meeting deleted on the platform by hand again, once, when its event moves', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged());
    await h.engine.runCycle();
    const old = h.store.mapping(e)!;
    await h.platform.deleteMeeting(old.userId, old.meetingId!);
    h.source.patch(CAL, e.eventId, { start: new Date(Date.parse(e.start!) + 3_600_000).toISOString(), end: new Date(Date.parse(e.end!) + 3_600_000).toISOString() });
    const report = await h.engine.runCycle();
    expect(report.outcomes).toEqual([expect.objectContaining({ outcome: 'created', reason: expect.stringMatching(/was deleted on the platform; a new one was created/) })]);
    expect(report.counts).toMatchObject({ created: 1, updated: 0, failed: 0 });
    const [meeting] = h.sim.meetings();
    expect(h.sim.meetings()).toHaveLength(1);
    expect(meeting?.id).not.toBe(old.meetingId);
    const now = h.store.mapping(e)!;
    expect(now).toMatchObject({ state: 'active', meetingId: meeting?.id, writeBack: 'done' });
    const written = h.source.peek(CAL, e.eventId)!;
    expect(written.description).toContain(`Meeting number: ${meeting?.meetingId}`);
    expect(written.description).not.toContain(old.meetingNumber!);
    expect(written.stamp?.meetingId).toBe(meeting?.id);
    const posts = meetingCalls('POST').length;
    await h.engine.runCycle();
    expect(meetingCalls('POST')).toHaveLength(posts);
  });

  it('never posts a second meeting when the feed names the lost one by number only; holds it and says why', async () => {
    h = await startEngineHarness({}, [CAL], { feedNames: 'number' });
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    for (let i = 0; i < 6; i += 1) {
      h.advance(30 * 60_000);
      await h.engine.runCycle();
    }
    expect(meetingCalls('POST')).toHaveLength(1);
    expect(h.sim.meetings()).toHaveLength(1);
    const m = h.store.mapping(e)!;
    expect(m).toMatchObject({ state: 'creating', meetingNumber: h.sim.meetings()[0]!.meetingId });
    const status = statusOf();
    expect(status.problems).toEqual([expect.objectContaining({ eventId: e.eventId, reason: expect.stringMatching(/exists on the platform .*does not give the meeting id.*will not create a second one/) })]);
    expect(statusNeedsAttention(status)).toBe(true);
    // Deleted on the platform by a person, as status suggests: the next look (hourly) creates it again, once.
    await h.platform.deleteMeeting(m.userId, h.sim.meetings()[0]!.id);
    h.advance(60 * 60_000);
    await h.engine.runCycle();
    h.advance(15 * 60_000);
    await h.engine.runCycle();
    expect(h.sim.meetings()).toHaveLength(1);
  });

  it('waits for a lagging feed instead of posting again, and adopts the meeting once the feed shows it', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    h.sim.lagFeed(new Date(0));
    h.advance(5 * 60_000);
    const waiting = await h.engine.runCycle();
    expect(waiting.outcomes).toEqual([expect.objectContaining({ outcome: 'failed', reason: expect.stringMatching(/not in the organizer's feed, which may lag; created again in about 5 min/) })]);
    expect(meetingCalls('POST')).toHaveLength(1);
    h.sim.lagFeed(undefined);
    h.advance(5 * 60_000);
    const adopted = await h.engine.runCycle();
    expect(adopted.counts).toMatchObject({ adopted: 1, failed: 0 });
    expect(meetingCalls('POST')).toHaveLength(1);
    expect(h.store.mapping(e)?.state).toBe('active');
  });

  it('gives an event copied with its stamp a meeting of its own, and deleting the copy leaves the original alone', async () => {
    h = await startEngineHarness();
    const original = h.source.put(tagged());
    await h.engine.runCycle();
    const stamped = h.source.peek(CAL, original.eventId)!;
    const copies = [1, 2].map(() => h.source.put({ ...stamped, eventId: `copy-${Math.random().toString(36).slice(2)}` }));
    const report = await h.engine.runCycle();
    expect(report.counts).toMatchObject({ created: 2, adopted: 0, failed: 0 });
    const ids = [original, ...copies].map((e) => h.store.mapping(e)?.meetingId);
    expect(new Set(ids).size).toBe(3);
    for (const c of copies) expect(h.source.peek(CAL, c.eventId)?.stamp?.meetingId).toBe(h.store.mapping(c)?.meetingId);
    h.source.remove(CAL, copies[0]!.eventId);
    await h.engine.runCycle();
    expect(h.sim.meetings().map((m) => m.id)).toContain(ids[0]);
    expect(h.sim.meetings()).toHaveLength(2);
  });

  it('clears a failure once the action succeeds and looks at the event no more; counts each event once', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged());
    await h.engine.runCycle();
    h.source.patch(CAL, e.eventId, { title: 'Renamed #webmeeting' });
    h.sim.server.inject({ kind: 'status', status: 503, count: 3, method: 'PUT', pathIncludes: '/api/v6/meeting' });
    const failed = await h.engine.runCycle();
    expect(failed.counts).toMatchObject({ failed: 1, updated: 0 });
    expect(h.store.notes()).toHaveLength(1);
    const recovered = await h.engine.runCycle();
    expect(recovered.outcomes).toEqual([expect.objectContaining({ eventId: e.eventId, outcome: 'updated' })]);
    expect(recovered.counts).toMatchObject({ failed: 0, updated: 1 });
    expect(h.store.notes()).toEqual([]);
    const gets = h.source.calls.getEvent;
    await h.engine.runCycle();
    expect(h.source.calls.getEvent).toBe(gets);
  });

  it('reports a lost creation once in a cycle, and clears its note when the meeting is confirmed', async () => {
    h = await startEngineHarness();
    // Alice's feed has shown meetsync's reference for a meeting it knows: there, absence is evidence.
    await giveAliceAKnownMeeting(h);
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'drop', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    h.advance(5 * 60_000);
    const waiting = await h.engine.runCycle();
    expect(waiting.outcomes.filter((o) => o.eventId === e.eventId)).toHaveLength(1);
    expect(waiting.counts.failed).toBe(1);
    h.advance(10 * 60_000);
    const created = await h.engine.runCycle();
    expect(created.counts).toMatchObject({ created: 1, failed: 0 });
    expect(h.store.notes()).toEqual([]);
    const gets = h.source.calls.getEvent;
    await h.engine.runCycle();
    expect(h.source.calls.getEvent).toBe(gets);
  });

  it('forgets notes about moved occurrences once their series is deleted, and keeps none for attendees', async () => {
    h = await startEngineHarness();
    const series = h.source.put(tagged({ kind: 'series', start: '2027-03-15T08:00:00.000Z', end: '2027-03-15T09:00:00.000Z', recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10'] }));
    h.source.put(tagged({ organizerEmail: 'carol@example.com', isOrganizerCopy: false }));
    await h.engine.runCycle();
    h.source.put({
      ...tagged({ start: '2027-03-29T10:00:00.000Z', end: '2027-03-29T11:00:00.000Z' }),
      eventId: `${series.eventId}_20270329T080000Z`,
      kind: 'occurrence',
      seriesId: series.eventId,
      originalStart: '2027-03-29T08:00:00.000Z',
    });
    await h.engine.runCycle();
    expect(h.store.notes().map((n) => n.kind)).toEqual(['exception']);
    h.source.remove(CAL, series.eventId);
    await h.engine.runCycle();
    expect(h.store.notes()).toEqual([]);
  });

  it('retires mappings of events over before the window and does not confirm them after a full re-read', async () => {
    h = await startEngineHarness();
    const soon = h.source.put(tagged({}, 1));
    const later = h.source.put(tagged({}, 30));
    await h.engine.runCycle();
    h.advance(3 * 86_400_000); // `soon` ended two days ago; the window reaches one day back
    // Retirement trusts a time only once the clock has gone on a day past it (sync/retirement.ts).
    await h.engine.runCycle();
    h.advance(86_400_000);
    h.source.expireCursors();
    const gets = h.source.calls.getEvent;
    await h.engine.runCycle();
    expect(h.store.mapping(soon)).toBeUndefined();
    expect(h.store.mapping(later)?.state).toBe('active');
    expect(h.source.calls.getEvent - gets, 'events.get calls after the full re-read').toBe(0);
  });

  it('names a deleted event by its meeting topic, not its id', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged({ title: 'Quarterly review #webmeeting' }));
    await h.engine.runCycle();
    h.source.remove(CAL, e.eventId);
    const report = await h.engine.runCycle();
    expect(report.outcomes).toEqual([expect.objectContaining({ outcome: 'cancelled', title: 'Quarterly review' })]);
  });

  it('stops for every calendar when the platform answers with a redirect, and moves no cursor', async () => {
    h = await startEngineHarness({}, [CAL, 'bob@example.com']);
    h.source.put(tagged());
    h.sim.server.inject({ kind: 'status', status: 302, headers: { location: 'https://login.example.com/' }, body: '', count: 100, pathIncludes: '/api/v6/' });
    const report = await h.engine.runCycle();
    expect(report.halted).toMatchObject({ credential: false, error: expect.stringMatching(/check webMeeting\.baseUrl/) });
    expect(report.calendars.map((c) => c.ok)).toEqual([false, false]);
    expect(h.store.calendarState('mem', CAL).cursor).toBeUndefined();
    expect(h.store.calendarState('mem', 'bob@example.com')).toMatchObject({ consecutiveFailures: 1 });
  });

  it('tries a failed read again without losing the event (a NetworkError is transient)', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged());
    h.source.failNext('readChanges', new NetworkError('injected: connection reset'));
    const failed = await h.engine.runCycle();
    expect(failed.calendars[0]?.ok).toBe(false);
    await h.engine.runCycle();
    expect(h.store.mapping(e)?.state).toBe('active');
  });

  it('names an event whose join link could not be written in status, with why, until it is written', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged({ title: 'Board #webmeeting' }));
    h.source.failNext('writeJoinDetails', new NetworkError('injected: connection reset'));
    await h.engine.runCycle();

    const status = statusOf();
    expect(status.leftToDo.writeBacks).toBe(1);
    expect(status.problems).toEqual([expect.objectContaining({ eventId: e.eventId, title: 'Board', reason: expect.stringMatching(/join link .*failed.*connection reset/) })]);
    expect(renderStatus(status)).toMatch(/\[join link\] Board \(.*\) in alice@example.com: writing the join link into the event failed \(will retry\)/);

    await h.engine.runCycle();
    expect(statusOf().problems).toEqual([]);
    expect(statusNeedsAttention(statusOf())).toBe(false);
  });
});
