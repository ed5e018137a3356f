import { afterEach, describe, expect, it } from 'vitest';
import { CAL, NOW, startEngineHarness, tagged, type EngineHarness } from '../support/engine-harness.js';
import { loseDatabase as loseTheDatabase } from '../support/lost-database.js';

const CAROL = 'carol@example.com';
const PROVISIONING = { enabled: true, accountType: 'trial', preferredLanguage: 'en', sendPassword: false, paidUntil: '2027-12-31T00:00:00.000Z' };

/**
 * Issue 15, finding 6: after the database is lost (or restored from a backup older than the
 * organizer), an organizer that provisioning created is in no configured account. The stamp of
 * their own events names their platform user and account: the engine finds them again there,
 * adopts their meetings and follows their moves and cancellations, with no POST /account.
 */
describe('a lost database and an organizer that provisioning created', () => {
  let h: EngineHarness;
  afterEach(async () => h.close());

  const accountPosts = () => h.sim.server.received('POST', '/api/v6/account').length;
  const meetingPosts = () => h.sim.server.received('POST', '/api/v6/meeting').length;

  /** Carol's calendar; she is in no configured account (only Alice's is). */
  async function withCarolsMeetings() {
    h = await startEngineHarness({ provisioning: PROVISIONING }, [CAL, CAROL]);
    const moved = h.source.put(tagged({ calendarId: CAROL, organizerEmail: CAROL }));
    const cancelled = h.source.put(tagged({ calendarId: CAROL, organizerEmail: CAROL }, 3));
    await h.engine.runCycle();
    expect(accountPosts()).toBe(1);
    expect(h.sim.meetings()).toHaveLength(2);
    return { moved, cancelled };
  }

  /**
   * A fresh database (the test store's kind), knowing only what the configured accounts list (as
   * `meetsync` starting on it would), the engine rebuilt with the harness's settings (provisioning
   * on); closed with the harness.
   */
  const loseDatabase = () => loseTheDatabase(h);

  it("stamps the organizer's platform user and account into the event", async () => {
    const { moved } = await withCarolsMeetings();
    const carol = h.store.organizer(CAROL)!;
    expect(h.source.peek(CAROL, moved.eventId)?.stamp).toMatchObject({ userId: carol.userId, accountId: carol.accountId });
  });

  it('follows her move and her cancellation, with no second meeting and no POST /account', async () => {
    const { moved, cancelled } = await withCarolsMeetings();
    const carol = h.store.organizer(CAROL)!;
    const fresh = await loseDatabase();
    const start = new Date(NOW.getTime() + 5 * 86_400_000);
    h.source.patch(CAROL, moved.eventId, { start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString() });
    h.advance(5 * 60_000);
    const rebuilt = await h.engine.runCycle();
    expect(rebuilt.counts).toMatchObject({ adopted: 2, created: 0 });
    expect(rebuilt.problems).toEqual([]);
    expect(fresh.organizer(CAROL)).toMatchObject({ userId: carol.userId, accountId: carol.accountId });

    h.source.remove(CAROL, cancelled.eventId);
    h.advance(5 * 60_000);
    const after = await h.engine.runCycle();
    expect(after.counts).toMatchObject({ cancelled: 1 });

    expect(accountPosts(), 'POST /account after the database was lost').toBe(1);
    expect(meetingPosts(), 'POST /meeting in all').toBe(2);
    const meetings = h.sim.meetings();
    expect(meetings).toHaveLength(1);
    expect(meetings[0]?.startTime).toBe(start.toISOString());
  });

  it('does not take a stamp naming another email\'s user', async () => {
    const { moved, cancelled } = await withCarolsMeetings();
    const alice = h.store.organizers().find((o) => o.email !== CAROL)!;
    // Carol (or a tool of hers) points her stamps at Alice's user: they lead nowhere.
    for (const e of [moved, cancelled]) {
      const stamp = h.source.peek(CAROL, e.eventId)!.stamp!;
      h.source.patch(CAROL, e.eventId, { stamp: { ...stamp, userId: alice.userId, accountId: alice.accountId } });
    }
    const fresh = await loseDatabase();
    await h.engine.runCycle();
    expect(fresh.organizer(CAROL)).toBeUndefined();
    expect(fresh.mapping(moved)).toBeUndefined();
  });

  it('a stamp naming an account meetsync may not read stops nothing but that organizer', async () => {
    const { moved, cancelled } = await withCarolsMeetings();
    const foreign = '0123456789abcdef01234567';
    for (const e of [moved, cancelled]) {
      const stamp = h.source.peek(CAROL, e.eventId)!.stamp!;
      h.source.patch(CAROL, e.eventId, { stamp: { ...stamp, accountId: foreign } });
    }
    const fresh = await loseDatabase();
    h.sim.server.inject({ kind: 'status', status: 403, body: { responseCode: -3, responseMessage: 'not allowed', data: null }, pathIncludes: `/account/admin/${foreign}`, count: 10 });
    const alices = h.source.put(tagged());
    const report = await h.engine.runCycle();
    expect(report.halted).toBeUndefined();
    expect(report.problems).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`account ${foreign}, named by the stamp of an event, could not be read`))]));
    expect(fresh.mapping(alices)?.state).toBe('active');
  });

  it('asks for an account the platform says exists once a day, not every cycle, and says what to do', async () => {
    h = await startEngineHarness({ provisioning: PROVISIONING }, [CAL, 'dave@example.com']);
    // Dave has an account meetsync does not know (made by hand, or by provisioning before a restore without stamps).
    const { account } = h.sim.seedAccount({ adminEmail: 'dave@example.com' });
    h.source.put(tagged({ calendarId: 'dave@example.com', organizerEmail: 'dave@example.com' }));
    const first = await h.engine.runCycle();
    expect(first.problems).toEqual([expect.stringMatching(/dave@example.com: .*already has an account .* Add that account's id to webMeeting.accountIds/)]);
    for (let i = 0; i < 4; i += 1) {
      h.advance(20 * 60_000);
      h.source.put(tagged({ calendarId: 'dave@example.com', organizerEmail: 'dave@example.com' }));
      const later = await h.engine.runCycle();
      expect(later.problems, `cycle ${i + 2}`).toEqual([expect.stringMatching(/already has an account/)]);
    }
    expect(accountPosts(), 'POST /account within a day').toBe(1);
    h.advance(24 * 3_600_000);
    h.source.put(tagged({ calendarId: 'dave@example.com', organizerEmail: 'dave@example.com' }));
    await h.engine.runCycle();
    expect(accountPosts(), 'POST /account a day later').toBe(2);

    h.rebuild({ provisioning: PROVISIONING, accountIds: [h.accountId, account.id] });
    h.advance(20 * 60_000);
    await h.engine.runCycle();
    expect(h.sim.meetings()).toHaveLength(6);
  });
});

/**
 * onEventCancelled: keep, then the database is lost: the untagged event still carries the stamp
 * of its kept meeting (meetsync leaves a kept meeting's link and stamp in the event). The first
 * read of the fresh database remembers that meeting as kept, from the event alone and with no
 * write anywhere, so the event tagged again gets a new meeting, as it would have with the database
 * (README "A kept meeting stays kept").
 */
describe('a lost database and a meeting kept for its organizer', () => {
  let h: EngineHarness;
  afterEach(async () => h.close());

  it('gives the event tagged again a new meeting and leaves the kept one alone', async () => {
    h = await startEngineHarness({ onEventCancelled: 'keep' });
    const e = h.source.put(tagged({ title: 'Design review #webmeeting' }));
    await h.engine.runCycle();
    const kept = h.store.mapping(e)!.meetingId!;
    h.source.patch(CAL, e.eventId, { title: 'Design review' });
    await h.engine.runCycle();
    expect(h.store.mapping(e)?.state).toBe('kept');
    expect(h.source.peek(CAL, e.eventId)?.stamp?.meetingId).toBe(kept);

    await loseTheDatabase(h);
    const writes = h.source.writes;
    h.advance(5 * 60_000);
    const rebuilt = await h.engine.runCycle();
    expect(rebuilt.problems).toEqual([]);
    expect(h.store.isKeptMeeting(kept)).toBe(true);
    expect(h.source.writes, 'no write into the event').toBe(writes);

    h.source.patch(CAL, e.eventId, { title: 'Design review #webmeeting' });
    const puts = h.sim.server.received('PUT').length;
    h.advance(5 * 60_000);
    const retagged = await h.engine.runCycle();
    expect(retagged.counts).toMatchObject({ created: 1, adopted: 0 });
    const now = h.store.mapping(e)!;
    expect(now).toMatchObject({ state: 'active' });
    expect(now.meetingId).not.toBe(kept);
    expect(h.sim.meetings().map((m) => m.id).sort()).toEqual([kept, now.meetingId].sort());
    expect(h.sim.server.received('PUT').length, 'the kept meeting is not touched').toBe(puts);
    expect(h.source.peek(CAL, e.eventId)?.stamp?.meetingId).toBe(now.meetingId);
  });
});
