import { afterEach, describe, expect, it } from 'vitest';
import { buildStatus } from '../../src/status.js';
import { CAL, giveAliceAKnownMeeting, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';

/**
 * Issue 16 section 2, "a tolerant client where the tutorial is silent": against the Web Meeting
 * simulator in each mode the tutorial does not rule out, the real engine and client neither
 * create a meeting twice nor stop every calendar.
 */
describe('the engine where the tutorial is silent', () => {
  let h: EngineHarness;
  afterEach(async () => h.close());

  const posts = () => h.sim.server.received('POST', '/api/v6/meeting').length;
  const puts = () => h.sim.server.received('PUT', '/api/v6/meeting/').length;
  const mappingOf = (e: { eventId: string }) => h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId });
  const problemOf = (eventId: string) => buildStatus(h.store, [{ source: 'mem', calendarId: CAL }]).problems.find((p) => p.eventId === eventId)?.reason;

  it.each([
    ['a number of eleven digits', { meetingNumberForm: 'digits' as const }],
    ['a UUID for the meeting id', { meetingIdForm: 'uuid' as const }],
    ['both', { meetingNumberForm: 'digits' as const, meetingIdForm: 'uuid' as const }],
  ])('a create answer with %s is a meeting made: one POST, its link written, nothing held', async (_name, forms) => {
    h = await startEngineHarness({}, [CAL], forms);
    const e = h.source.put(tagged());
    const first = await h.engine.runCycle();
    expect(first.halted).toBeUndefined();
    const [meeting] = h.sim.meetings();
    expect(mappingOf(e)).toMatchObject({ state: 'active', meetingId: meeting!.id, meetingNumber: meeting!.meetingId });
    expect(h.source.peek(CAL, e.eventId)?.location).toBe(h.platform.joinUrl(meeting!.meetingId, meeting!.id));
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    h.advance(15 * 60_000);
    await h.engine.runCycle();
    expect(posts()).toBe(1);
    expect(h.sim.meetings()).toHaveLength(1);
    expect(problemOf(e.eventId)).toBeUndefined();
  });

  it('a lost create answer on a platform of other forms: found in the feed by its reference, held, never posted again', async () => {
    h = await startEngineHarness({}, [CAL], { meetingNumberForm: 'digits', meetingIdForm: 'uuid' });
    await giveAliceAKnownMeeting(h);
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    for (let i = 0; i < 3; i += 1) {
      h.advance(61 * 60_000);
      const cycle = await h.engine.runCycle();
      expect(cycle.halted).toBeUndefined();
    }
    expect(posts()).toBe(2);
    expect(h.sim.meetings()).toHaveLength(2);
    expect(mappingOf(e)).toMatchObject({ state: 'creating', held: expect.stringContaining('meetsync will not create a second one') });
  });

  it.each([['null' as const], ['id-only' as const]])('an update answered with data %s is a success: sent once, not again every cycle', async (updateAnswer) => {
    h = await startEngineHarness({}, [CAL], { updateAnswer });
    const e = h.source.put(tagged());
    await h.engine.runCycle();
    h.source.patch(CAL, e.eventId, { title: 'Moved on #webmeeting' });
    h.advance(5 * 60_000);
    const cycle = await h.engine.runCycle();
    expect(cycle.outcomes.find((o) => o.eventId === e.eventId)?.outcome).toBe('updated');
    expect(h.sim.meetings()[0]?.topic).toBe('Moved on');
    for (let i = 0; i < 3; i += 1) {
      h.advance(5 * 60_000);
      await h.engine.runCycle();
    }
    expect(puts()).toBe(1);
    expect(posts()).toBe(1);
    expect(mappingOf(e)).toMatchObject({ state: 'active', topic: 'Moved on' });
    expect(mappingOf(e)?.updatingSince).toBeUndefined();
    expect(problemOf(e.eventId)).toBeUndefined();
  });

  it('a feed that needs the API key confirms a lost creation (read again with the key): no second meeting, no halt, the key not blamed', async () => {
    h = await startEngineHarness({}, [CAL], { feedNeedsApiKey: true });
    await giveAliceAKnownMeeting(h);
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    expect(mappingOf(e)?.state).toBe('creating');
    h.advance(11 * 60_000);
    const cycle = await h.engine.runCycle();
    expect(cycle.halted).toBeUndefined();
    expect(mappingOf(e)?.state).toBe('active');
    expect(posts()).toBe(2);
    expect(h.sim.meetings()).toHaveLength(2);
  });

  it("a feed refused even with the key is its organizer's problem: that creation waits, the cycle goes on and no one blames the key", async () => {
    h = await startEngineHarness();
    await giveAliceAKnownMeeting(h);
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    // The feed answers 401 / -1 whether the key is sent or not.
    h.sim.server.inject({ kind: 'status', status: 401, count: 1000, pathIncludes: '/calender/user/', body: { responseCode: -1, responseMessage: 'API key not valid', data: null } });
    const other = h.source.put(tagged({}, 4));
    h.advance(11 * 60_000);
    const cycle = await h.engine.runCycle();
    expect(cycle.halted).toBeUndefined();
    expect(cycle.calendars.every((c) => c.ok)).toBe(true);
    // The other event gets its meeting; the lost creation waits for the feed.
    expect(mappingOf(other)?.state).toBe('active');
    expect(mappingOf(e)?.state).toBe('creating');
    expect(problemOf(e.eventId)).toMatch(/meeting feed cannot be read .*HTTP 401.*asked without the API key, then with it/);
    expect(problemOf(e.eventId)).not.toMatch(/webMeeting\.apiKey|refused meetsync's API key/);
    expect(posts()).toBe(3);
    expect(h.sim.meetings()).toHaveLength(3);
  });

  it('an admin list that names only the first organizer: the one not listed is told what to do, the others are synced, nothing stops', async () => {
    h = await startEngineHarness({}, [CAL], { adminList: 'first-only' });
    const bob = h.sim.addUser(h.accountId, { email: 'bob@example.com', firstName: 'Bob' });
    h.rebuild();
    const bobs = h.source.put(tagged({ organizerEmail: bob.email }));
    const alices = h.source.put(tagged());
    const cycle = await h.engine.runCycle();
    expect(cycle.halted).toBeUndefined();
    expect(mappingOf(alices)?.state).toBe('active');
    expect(mappingOf(bobs)).toBeUndefined();
    const reason = cycle.outcomes.find((o) => o.eventId === bobs.eventId)?.reason ?? '';
    expect(reason).toContain('bob@example.com');
    expect(reason).toContain("'meetsync accounts create --email bob@example.com --first");
    expect(reason).toMatch(/add the id of their account to webMeeting.accountIds/);
    expect(reason).toContain('webMeeting.accountIds');
    expect(posts()).toBe(1);
  });
});
