import { afterEach, describe, expect, it } from 'vitest';
import { buildStatus } from '../../src/status.js';
import { saveProfile } from '../../src/store/platform-profile.js';
import { ALICE, CAL, giveAliceAKnownMeeting, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';
import { loseDatabase } from '../support/lost-database.js';

/**
 * Issue 15, "absence is evidence only where it can be": a creation whose POST answer was lost is
 * posted again only when the organizer's feed is readable, has been seen to carry meetsync's
 * references for meetings it knows, and shows no unmapped meeting with the same topic and times
 * (findings 4 and 9, and the bound of finding 12). Real engine, real client, the simulator.
 */
describe('lost creations and what the organizer feed can prove', () => {
  let h: EngineHarness;
  afterEach(async () => h.close());

  const posts = () => h.sim.server.received('POST', '/api/v6/meeting').length;
  const problemOf = (eventId: string) => buildStatus(h.store, [{ source: 'mem', calendarId: CAL }]).problems.find((p) => p.eventId === eventId)?.reason;
  const GRACE_AND_MORE = 11 * 60_000;
  /** The meetings made for `e` (its topic is the title without the tag). */
  const meetingsOf = (e: { eventId: string }) => {
    const topic = h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId })!.topic;
    return h.sim.meetings().filter((m) => m.topic === topic);
  };

  it('finding 4: a feed that does not repeat the agenda turns a lost POST answer into no second meeting; held, naming the meeting', async () => {
    h = await startEngineHarness({}, [CAL], { feedAgenda: 'left-out' });
    await giveAliceAKnownMeeting(h);
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    expect(h.sim.meetings()).toHaveLength(2);
    const number = meetingsOf(e)[0]!.meetingId;
    h.advance(GRACE_AND_MORE);
    await h.engine.runCycle();
    h.advance(GRACE_AND_MORE);
    await h.engine.runCycle();
    expect(posts()).toBe(2);
    expect(h.sim.meetings()).toHaveLength(2);
    expect(h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId })).toMatchObject({ state: 'creating', held: expect.stringContaining(number) });
    expect(problemOf(e.eventId)).toContain(`Delete meeting ${number} on the platform`);
  });

  it('finding 4: a lost creation of an organizer whose feed was never seen to carry references is held, and posted once it has been', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged());
    // The POST never reaches the platform: no meeting exists, but nothing proves it yet.
    h.sim.server.inject({ kind: 'drop', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    h.advance(GRACE_AND_MORE);
    await h.engine.runCycle();
    expect(posts()).toBe(1);
    expect(h.sim.meetings()).toHaveLength(0);
    expect(problemOf(e.eventId)).toMatch(/never been seen to carry meetsync's reference.*will not post a second one/);
    // Alice gets a meeting that reaches her feed with its reference: from then on absence is evidence.
    await giveAliceAKnownMeeting(h);
    h.advance(61 * 60_000);
    await h.engine.runCycle();
    expect(meetingsOf(e)).toHaveLength(1);
    expect(h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId })?.state).toBe('active');
    expect(problemOf(e.eventId)).toBeUndefined();
  });

  it('a feed that names meetings by number only shows references too: a POST that never took effect is posted again after the grace', async () => {
    h = await startEngineHarness({}, [CAL], { feedNames: 'number' });
    await giveAliceAKnownMeeting(h);
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'drop', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    h.advance(GRACE_AND_MORE);
    await h.engine.runCycle();
    expect(posts()).toBe(3);
    expect(meetingsOf(e)).toHaveLength(1);
    expect(h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId })?.state).toBe('active');
  });

  it('finding 9: one unreadable entry of the feed does not stall the creations found in the rest', async () => {
    h = await startEngineHarness();
    await giveAliceAKnownMeeting(h);
    h.sim.breakFeedEntries(h.sim.meetings().map((m) => m.id));
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    h.advance(60_000);
    const report = await h.engine.runCycle();
    expect(report.counts.adopted).toBe(1);
    expect(posts()).toBe(2);
    expect(h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId })?.state).toBe('active');
  });

  it('finding 9: a creation not found while entries are unreadable waits, and status shows that reason, not the older one', async () => {
    h = await startEngineHarness();
    await giveAliceAKnownMeeting(h);
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    expect(problemOf(e.eventId)).toMatch(/create failed/);
    // Its own entry is the unreadable one: the feed cannot tell whether the meeting exists.
    h.sim.breakFeedEntries(meetingsOf(e).map((m) => m.id));
    h.advance(GRACE_AND_MORE);
    await h.engine.runCycle();
    expect(posts()).toBe(2);
    expect(problemOf(e.eventId)).toMatch(/1 entry of alice@example\.com's meeting feed could not be read .*may be one of them/);
    h.sim.breakFeedEntries([]);
    h.advance(60_000);
    await h.engine.runCycle();
    expect(h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId })?.state).toBe('active');
    expect(posts()).toBe(2);
  });

  it('finding 12: a creation whose organizer has no readable feed is held for IT after the bound, with the reason in status', async () => {
    h = await startEngineHarness({ pending: { feedGraceMs: 10 * 60_000, heldRecheckMs: 60 * 60_000, unconfirmedLimitMs: 24 * 3_600_000 } });
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    h.sim.server.inject({ kind: 'status', status: 500, count: 1000, pathIncludes: '/calender/user/' });
    h.advance(GRACE_AND_MORE);
    await h.engine.runCycle();
    expect(problemOf(e.eventId)).toMatch(/meeting feed cannot be read.*holds it for IT after 24 h/);
    expect(h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId })?.held).toBeUndefined();
    h.advance(24 * 3_600_000);
    await h.engine.runCycle();
    const held = h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId });
    expect(held).toMatchObject({ state: 'creating', held: expect.stringContaining('held for IT after 24 h') });
    expect(problemOf(e.eventId)).toContain(`Make ${ALICE}'s meeting feed readable`);
    expect(posts()).toBe(1);
    // Held, it is looked at hourly, not every cycle: the next cycle does not read the feed.
    const feedReads = h.sim.server.received('GET', '/calender/user/').length;
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    expect(h.sim.server.received('GET', '/calender/user/').length).toBe(feedReads);
  });

  // Found by the crash campaign (CRASH_SEED=559485411): the creation was posted again, then deleted in the same cycle.
  for (const [what, change] of [
    ['deleted', (e: { eventId: string }) => h.source.remove(CAL, e.eventId)],
    ['untagged', (e: { eventId: string }) => h.source.patch(CAL, e.eventId, { title: 'Planning' })],
    ['made all-day', (e: { eventId: string }) => h.source.patch(CAL, e.eventId, { allDay: true })],
  ] as const) {
    it(`a POST that never took effect is not posted again for an event ${what} since: no meeting made, nothing to delete`, async () => {
      h = await startEngineHarness();
      await giveAliceAKnownMeeting(h);
      const e = h.source.put(tagged());
      h.sim.server.inject({ kind: 'drop', method: 'POST', pathIncludes: '/api/v6/meeting' });
      await h.engine.runCycle();
      change(e);
      await h.engine.runCycle();
      h.advance(GRACE_AND_MORE);
      await h.engine.runCycle();
      expect(posts(), 'the dropped POST only').toBe(2);
      expect(h.sim.server.received('DELETE', '/api/v6/meeting')).toHaveLength(0);
      expect(h.sim.meetings()).toHaveLength(1);
      expect(h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId })?.state).toBe('cancelled');
      // Status says why a tagged event has none, as it would have without the lost POST.
      if (what === 'made all-day') expect(problemOf(e.eventId)).toMatch(/^all-day event/);
      else expect(problemOf(e.eventId)).toBeUndefined();
    });
  }
});

/**
 * Issue 16: the platform profile (`meetsync doctor --probe-platform`) that says the feed does not
 * carry meetsync's reference, or did not show a new meeting in time, overrides what the engine
 * learned per organizer: a creation whose answer was lost is held for IT, never posted again.
 * The POST is dropped here (it never reaches the platform), so that without the profile the
 * engine would post again after the grace (the test above with a feed naming meetings by number):
 * the profile alone makes the difference.
 */
describe('lost creations and the platform profile', () => {
  let h: EngineHarness;
  afterEach(async () => h.close());
  const posts = () => h.sim.server.received('POST', '/api/v6/meeting').length;

  for (const [assumption, result] of [
    ['feed-carries-agenda', 'contradicted'],
    ['feed-shows-soon', 'unknown'],
  ] as const) {
    it(`a profile where ${assumption} is ${result}: a lost POST answer is held, and no second meeting is posted`, async () => {
      h = await startEngineHarness();
      await giveAliceAKnownMeeting(h);
      const entries = [{ assumption, result, detail: 'seen by the probe' }];
      saveProfile(h.store.sql, { platform: new URL(h.sim.url).origin, organizerEmail: ALICE, probedAt: '2026-12-01T08:00:00.000Z', entries });
      const e = h.source.put(tagged());
      h.sim.server.inject({ kind: 'drop', method: 'POST', pathIncludes: '/api/v6/meeting' });
      await h.engine.runCycle();
      const before = posts();
      for (let i = 0; i < 3; i += 1) {
        h.advance(61 * 60_000);
        await h.engine.runCycle();
      }
      expect(posts()).toBe(before);
      const mapping = h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId });
      expect(mapping).toMatchObject({ state: 'creating', held: expect.stringContaining('the platform probe of 2026-12-01T08:00:00.000Z') });
      expect(mapping?.held).toContain('will not post a second one');
    });
  }

  it('a profile that confirms the feed changes nothing: the dropped POST is posted again after the grace', async () => {
    h = await startEngineHarness();
    await giveAliceAKnownMeeting(h);
    const entries = [
      { assumption: 'feed-carries-agenda', result: 'confirmed' as const, detail: 'seen' },
      { assumption: 'feed-shows-soon', result: 'confirmed' as const, detail: 'seen' },
    ];
    saveProfile(h.store.sql, { platform: new URL(h.sim.url).origin, organizerEmail: ALICE, probedAt: '2026-12-01T08:00:00.000Z', entries });
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'drop', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    h.advance(11 * 60_000);
    await h.engine.runCycle();
    expect(h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId })?.state).toBe('active');
  });

  // Found by the crash campaign (CRASH_SEED=559485411): an organizer with no meeting meetsync knows
  // (after a lost database) could never have a lost creation resolved; a confirmed probe resolves it.
  it('a confirmed probe is evidence for an organizer whose feed was never seen carrying references: the held creation is posted at its next look', async () => {
    h = await startEngineHarness();
    const e = h.source.put(tagged());
    h.sim.server.inject({ kind: 'drop', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await h.engine.runCycle();
    h.advance(11 * 60_000);
    await h.engine.runCycle();
    const held = h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId });
    expect(held).toMatchObject({ state: 'creating', held: expect.stringContaining(`'meetsync doctor --probe-platform ${ALICE}' confirms`) });
    const entries = [
      { assumption: 'feed-carries-agenda', result: 'confirmed' as const, detail: 'seen' },
      { assumption: 'feed-shows-soon', result: 'confirmed' as const, detail: 'seen' },
    ];
    saveProfile(h.store.sql, { platform: new URL(h.sim.url).origin, organizerEmail: ALICE, probedAt: '2026-12-01T08:20:00.000Z', entries });
    h.advance(61 * 60_000);
    await h.engine.runCycle();
    expect(h.store.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId })?.state).toBe('active');
    expect(h.sim.meetings()).toHaveLength(1);
  });

  // Found by the crash campaign (CRASH_SEED=559485411): after a lost database no record knows a
  // meeting's reference (rebuilt from stamps), so the feed was never "seen carrying references"
  // again, and every lost creation was held for IT.
  it('after a lost database, a feed showing a reference on a meeting known by its id is evidence: a POST that never took effect is posted again', async () => {
    // The update answers data: null (the tutorial shows no answer): the adoption's PUT does not tell the reference either.
    h = await startEngineHarness({}, [CAL], { updateAnswer: 'null' });
    await giveAliceAKnownMeeting(h);
    // The harness closes it (and drops it, on PostgreSQL).
    const fresh = await loseDatabase(h);
    await h.engine.runCycle();
    expect(fresh.mappings({ state: 'active' }).map((m) => m.marker)).toEqual([expect.stringMatching(/^meetsync:adopted:/)]);
    const e = h.source.put(tagged({ title: 'Board #webmeeting' }));
    h.sim.server.inject({ kind: 'drop', method: 'POST', pathIncludes: '/api/v6/meeting' });
    h.advance(5 * 60_000);
    await h.engine.runCycle();
    h.advance(11 * 60_000);
    await h.engine.runCycle();
    expect(fresh.mapping({ source: 'mem', calendarId: CAL, eventId: e.eventId })?.state).toBe('active');
    expect(h.sim.meetings().filter((m) => m.topic === 'Board')).toHaveLength(1);
  });
});
