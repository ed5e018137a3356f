import { afterEach, describe, expect, it } from 'vitest';
import { afterFailure, isDue, isHeld, RETRY_DEFAULTS } from '../../src/domain/attention.js';
import { NetworkError } from '../../src/domain/errors.js';
import { buildStatus, renderStatus, statusNeedsAttention } from '../../src/status.js';
import { CAL, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';

/**
 * Issue 15, "one place owns retries and attention": every thing meetsync has left to do (a failed
 * action, a join link not written, a call not confirmed, a held creation) has a reason, a next
 * try and an upper bound, the engine retries it at that time and no sooner, and `status` lists
 * it with all three.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SERVER_ERROR = { kind: 'status' as const, status: 500, body: { responseCode: -99, responseMessage: 'internal error', data: null }, count: 1_000, method: 'PUT', pathIncludes: '/api/v6/meeting' };

describe('the retry schedule (domain/attention.ts)', () => {
  it('tries at every cycle three times, then waits 5, 10, 20, 40, 60, 60 minutes; past the bound it is held for IT and tried hourly', () => {
    const t0 = new Date('2030-01-07T09:00:00Z');
    let tries = afterFailure(undefined, t0);
    const waits: number[] = [];
    let now = t0;
    for (let i = 0; i < 9; i += 1) {
      waits.push((Date.parse(tries.nextTryAt) - now.getTime()) / MINUTE);
      now = new Date(Math.max(Date.parse(tries.nextTryAt), now.getTime() + MINUTE));
      expect(isDue(tries, now)).toBe(true);
      tries = afterFailure(tries, now);
    }
    expect(waits).toEqual([0, 0, 0, 5, 10, 20, 40, 60, 60]);
    expect(tries.since).toBe(t0.toISOString());
    expect(isHeld(tries, now)).toBe(false);
    const late = new Date(t0.getTime() + RETRY_DEFAULTS.limitMs);
    expect(isHeld(tries, late)).toBe(true);
    const held = afterFailure(tries, late);
    expect(Date.parse(held.nextTryAt) - late.getTime()).toBe(HOUR);
    expect(isDue(held, new Date(late.getTime() + 59 * MINUTE))).toBe(false);
  });
});

describe('one place owns retries and attention', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());
  const statusOf = () => buildStatus(h.store, [{ source: 'mem', calendarId: CAL }], { now: h.now });

  it('tries a join link that cannot be written on the schedule, not at every cycle, and says when it is held for IT', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged({ title: 'Board #webmeeting' }));
    for (let i = 0; i < 100; i += 1) h.source.failNext('writeJoinDetails', new NetworkError('injected: connection reset'));
    await h.engine.runCycle();
    await h.engine.runCycle();
    await h.engine.runCycle();
    await h.engine.runCycle();
    expect(h.source.calls.writeJoinDetails, 'the first four tries: one at each cycle').toBe(4);

    for (let i = 0; i < 5; i += 1) await h.engine.runCycle();
    expect(h.source.calls.writeJoinDetails, 'then it waits 5 minutes: cycles before then try nothing').toBe(4);
    h.advance(5 * MINUTE);
    await h.engine.runCycle();
    expect(h.source.calls.writeJoinDetails).toBe(5);

    const status = statusOf();
    expect(status.attention).toEqual([
      expect.objectContaining({
        kind: 'join-link', eventId: e.eventId, title: 'Board', attempts: 5, since: '2026-12-01T08:00:00.000Z',
        nextTry: new Date(h.now.getTime() + 10 * MINUTE).toISOString(), heldAfter: '2026-12-02T08:00:00.000Z', needsPerson: false,
        reason: expect.stringMatching(/writing the join link into the event failed.*connection reset/),
      }),
    ]);
    expect(renderStatus(status)).toMatch(
      /\[join link\] Board \(.*\) in alice@example.com: writing the join link .*connection reset.*\n {6}next try 2026-12-01T08:15:00.000Z; 5 tries since 2026-12-01T08:00:00.000Z; held for IT from 2026-12-02T08:00:00.000Z/,
    );
    expect(statusNeedsAttention(status)).toBe(true);

    // A day of failures later it is held for IT: tried hourly, and status says a person must look.
    h.advance(25 * HOUR);
    await h.engine.runCycle();
    const held = statusOf();
    expect(held.attention[0]).toMatchObject({ kind: 'join-link', needsPerson: true, nextTry: new Date(h.now.getTime() + HOUR).toISOString() });
    expect(held.leftToDo).toMatchObject({ writeBacks: 1, needPerson: 1 });
    expect(renderStatus(held)).toMatch(/held for IT since 2026-12-02T08:00:00.000Z, tried hourly/);
    const calls = h.source.calls.writeJoinDetails;
    h.advance(30 * MINUTE);
    await h.engine.runCycle();
    expect(h.source.calls.writeJoinDetails).toBe(calls);

    // Fixed: written at the next hourly try, and nothing is left.
    h.source.clearFailures();
    h.advance(30 * MINUTE);
    await h.engine.runCycle();
    expect(statusOf().attention).toEqual([]);
    expect(h.source.peek(CAL, e.eventId)?.description).toMatch(/meeting/i);
  });

  it('retries a failed update from its note at its time while the cursor moves on, and follows an edit undone meanwhile', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged({ title: 'Review #webmeeting' }));
    await h.engine.runCycle();
    const meetingId = h.store.mapping(e)!.meetingId!;
    const original = h.sim.meetings().find((m) => m.id === meetingId)!.startTime;
    const puts = () => h.sim.server.received('PUT', '/api/v6/meeting').length;

    h.sim.server.inject(SERVER_ERROR);
    const moved = new Date(Date.parse(e.start!) + 2 * HOUR).toISOString();
    h.source.patch(CAL, e.eventId, { start: moved, end: new Date(Date.parse(e.end!) + 2 * HOUR).toISOString() });
    for (let i = 0; i < 4; i += 1) await h.engine.runCycle();
    const cursor = h.store.calendarState('mem', CAL).cursor;
    expect(h.store.note(e)).toMatchObject({ kind: 'failed', retry: true, tries: { attempts: 4 } });
    const sent = puts();
    for (let i = 0; i < 3; i += 1) await h.engine.runCycle();
    expect(puts(), 'not tried again before its next try').toBe(sent);
    expect(h.store.calendarState('mem', CAL).cursor, 'the note holds the change, not the cursor').toBe(cursor);
    expect(statusOf().attention).toEqual([expect.objectContaining({ kind: 'action', attempts: 4, nextTry: new Date(h.now.getTime() + 5 * MINUTE).toISOString(), needsPerson: false })]);

    // The organizer moves it back while the platform fails; the platform recovers; at the next try
    // the event is read as it is now and the meeting is where the event is.
    // A change read from the calendar is tried at once (it failed: the fifth try, next in 10 minutes).
    h.source.patch(CAL, e.eventId, { start: e.start!, end: e.end! });
    await h.engine.runCycle();
    expect(puts()).toBeGreaterThan(sent);
    expect(h.store.note(e)?.tries?.attempts).toBe(5);
    h.sim.server.clearFaults();
    h.advance(10 * MINUTE);
    await h.engine.runCycle();
    expect(h.sim.meetings().find((m) => m.id === meetingId)!.startTime).toBe(original);
    expect(h.store.mapping(e)).toMatchObject({ start: e.start, state: 'active' });
    expect(h.store.mapping(e)!.updatingSince).toBeUndefined();
    expect(statusOf().attention).toEqual([]);
  });
});
