import { afterEach, describe, expect, it } from 'vitest';
import { NetworkError } from '../../src/domain/errors.js';
import { buildStatus } from '../../src/status.js';
import { CAL, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';

/**
 * Issue 15, the engine's record of what the platform holds: every call that changes the platform
 * is recorded before it is sent, so a call whose answer was lost leaves the platform's state
 * "unknown" and the next cycle re-asserts what the event wants; and an event that can no longer
 * have a meeting never keeps one at a time it does not have.
 */

const LOST_PUT = { kind: 'lose-answer' as const, method: 'PUT', pathIncludes: '/api/v6/meeting', count: 1_000 };
const hours = (iso: string, n: number) => new Date(Date.parse(iso) + n * 3_600_000).toISOString();

describe('engine state: an unconfirmed update', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('puts the meeting back when the organizer undoes a move whose PUT answer was lost (finding 3)', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged());
    await h.engine.runCycle();
    const meetingId = h.store.mapping(e)!.meetingId!;
    const meetingStart = () => h.sim.meetings().find((m) => m.id === meetingId)?.startTime;
    expect(meetingStart()).toBe(e.start);

    h.source.patch(CAL, e.eventId, { start: hours(e.start!, 2), end: hours(e.end!, 2) });
    h.sim.server.inject(LOST_PUT);
    const lost = await h.engine.runCycle();
    expect(lost.counts.failed).toBe(1);
    expect(meetingStart(), 'the PUT reached the platform; only its answer was lost').toBe(hours(e.start!, 2));

    h.sim.server.clearFaults();
    h.source.patch(CAL, e.eventId, { start: e.start, end: e.end }); // the organizer undoes the move
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(meetingStart(), 'the meeting follows the event again').toBe(e.start);
    expect(h.store.mapping(e)?.updatingSince).toBeUndefined();
    expect(buildStatus(h.store, [{ source: 'mem', calendarId: CAL }]).problems).toEqual([]);
    const calls = h.platformCalls();
    await h.engine.runCycle();
    expect(h.platformCalls(), 'in step: the next cycle asks the platform nothing').toBe(calls);
  });

  it('re-asserts an update whose answer was lost even when the event does not change again', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged());
    await h.engine.runCycle();
    const meetingId = h.store.mapping(e)!.meetingId!;
    h.source.patch(CAL, e.eventId, { title: 'Renamed #webmeeting' });
    h.sim.server.inject(LOST_PUT);
    await h.engine.runCycle();
    expect(h.store.mapping(e)?.updatingSince, 'the PUT is recorded as sent and not confirmed').toBeDefined();
    h.sim.server.clearFaults();
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(h.sim.meetings().find((m) => m.id === meetingId)?.topic).toBe('Renamed');
    expect(h.store.mapping(e)).toMatchObject({ topic: 'Renamed' });
    expect(h.store.mapping(e)?.updatingSince).toBeUndefined();
  });
});

describe('engine state: an event that can no longer have a meeting (finding 5)', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  const cases: Array<[string, (e: ReturnType<typeof tagged> & { start?: string; end?: string }) => Record<string, unknown>, RegExp]> = [
    ['becomes all-day', () => ({ allDay: true }), /all-day event/],
    ['ends before it starts', (e) => ({ end: hours(e.start!, -1) }), /ends before it starts/],
    ['gets a rule the platform cannot express', () => ({ kind: 'series', recurrence: ['RRULE:FREQ=MONTHLY;BYDAY=5MO'] }), /recurrence the platform cannot express/],
  ];
  for (const [what, change, reason] of cases) {
    it(`deletes the meeting of an event that ${what}, removes its link, and status says why it has none`, async () => {
      h = await startEngineHarness();
      const e = h.source.put(tagged());
      await h.engine.runCycle();
      const mapping = h.store.mapping(e)!;
      expect(h.sim.meetings()).toHaveLength(1);

      h.source.patch(CAL, e.eventId, change(e));
      const report = await h.engine.runCycle();
      expect(report.counts.cancelled).toBe(1);
      expect(h.sim.meetings(), 'no meeting left at a time the event no longer has').toEqual([]);
      expect(h.store.mapping(e)?.state).toBe('cancelled');
      const stored = h.source.peek(CAL, e.eventId);
      expect(stored?.description ?? '').not.toContain(mapping.meetingNumber!);
      const status = buildStatus(h.store, [{ source: 'mem', calendarId: CAL }]);
      expect(status.problems.map((p) => p.reason)).toEqual([expect.stringMatching(reason)]);
    });
  }

  // Found by the crash and fault campaigns' review: a failed removal was logged and never tried again.
  it('removes the link of the deleted meeting on the retry schedule when the first removal fails', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged());
    await h.engine.runCycle();
    const number = h.store.mapping(e)!.meetingNumber!;
    h.source.failNext('clearJoinDetails', new NetworkError('injected: connection reset'));
    h.source.patch(CAL, e.eventId, { allDay: true });
    await h.engine.runCycle();
    expect(h.sim.meetings()).toEqual([]);
    expect(h.source.peek(CAL, e.eventId)?.description ?? '').toContain(number);
    const status = buildStatus(h.store, [{ source: 'mem', calendarId: CAL }], { now: h.now });
    expect(status.attention).toEqual([expect.objectContaining({ kind: 'join-link', attempts: 1, reason: expect.stringMatching(/removing the join link .*connection reset/) })]);
    await h.engine.runCycle();
    expect(h.source.peek(CAL, e.eventId)?.description ?? '').not.toContain(number);
    const after = buildStatus(h.store, [{ source: 'mem', calendarId: CAL }], { now: h.now });
    expect(after.attention).toEqual([]);
    expect(after.problems.map((p) => p.reason)).toEqual([expect.stringMatching(/all-day event/)]);
  });

  it('gives the event a new meeting when it gets its times back', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged());
    await h.engine.runCycle();
    h.source.patch(CAL, e.eventId, { allDay: true });
    await h.engine.runCycle();
    h.source.patch(CAL, e.eventId, { allDay: false });
    const back = await h.engine.runCycle();
    expect(back.counts.created).toBe(1);
    expect(h.sim.meetings()).toHaveLength(1);
    expect(h.store.notes()).toEqual([]);
  });
});
