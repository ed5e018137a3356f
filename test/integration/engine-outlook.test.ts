import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOCK_START } from '../../src/domain/join-block.js';
import { GoogleSource } from '../../src/calendars/google/source.js';
import { OutlookSource } from '../../src/calendars/outlook/source.js';
import { STAMP_PROPERTY_ID } from '../../src/calendars/outlook/event.js';
import { silentLogger } from '../../src/log.js';
import { GoogleCalendarSimulator } from '../../src/simulators/google/server.js';
import { GraphSimulator } from '../../src/simulators/graph/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';
import { Store } from '../../src/store/store.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';
import { settings } from '../support/engine-harness.js';

const OAUTH = { clientId: 'cid', clientSecret: 'engine-outlook-google-secret', refreshToken: 'engine-outlook-google-refresh' };
const GRAPH_APP = { tenantId: '0c0ffee0-0000-4000-8000-00000000beef', clientId: '1d2e3f40-5555-4666-8777-888899990000', clientSecret: 'engine~graph~secret' };
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';

/**
 * Whole cycles with a Google calendar (Alice) and two Outlook mailboxes (Bob, Carol) in one
 * engine, the real googleapis, msal-node and Graph client against the simulators, and the Web
 * Meeting simulator as the platform.
 */
describe('sync engine with a Google calendar and Outlook mailboxes', () => {
  let google: GoogleCalendarSimulator;
  let graph: GraphSimulator;
  let wm: WebMeetingSimulator;
  let store: Store;
  let engine: SyncEngine;
  let outlook: OutlookSource;

  beforeEach(async () => {
    const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
    google = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH] });
    graph = new GraphSimulator({ tls, clients: [GRAPH_APP], mailboxes: [BOB, CAROL] });
    wm = new WebMeetingSimulator({ apiKey: 'engine-outlook-api-key', tls });
    await Promise.all([google.start(), graph.start(), wm.start()]);
    google.addCalendar(ALICE, { timeZone: 'Europe/Berlin' });
    const { account } = wm.seedAccount({ adminEmail: ALICE });
    wm.addUser(account.id, { email: BOB });
    wm.addUser(account.id, { email: CAROL });
    const platform = new WebMeetingClient({ baseUrl: wm.url, apiKey: 'engine-outlook-api-key', retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    store = Store.open(':memory:');
    await refreshOrganizers(platform, store, [account.id], new Date());
    const googleSource = new GoogleSource({
      name: 'corp-google',
      calendars: [ALICE],
      auth: { type: 'oauth', ...OAUTH },
      rootUrl: google.rootUrl,
      tokenUrl: google.tokenUrl,
      retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    });
    outlook = new OutlookSource({
      name: 'corp-m365',
      mailboxes: [BOB, CAROL],
      auth: GRAPH_APP,
      graphBaseUrl: graph.url,
      authorityHost: graph.url,
      configPath: 'sources[1]',
      retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    });
    // Events are in 2030: the window reaches that far (Outlook reads a window, Google does not).
    engine = new SyncEngine({
      store,
      platform,
      sources: [googleSource, outlook],
      settings: settings({ accountIds: [account.id], window: { pastDays: 1, futureDays: 3650 } }),
      logger: silentLogger(),
    });
  });
  afterEach(async () => {
    store.close();
    await Promise.all([google.stop(), graph.stop(), wm.stop()]);
  });

  const graphCalls = () => graph.server.requests.filter((r) => r.path.startsWith('/v1.0/'));
  const graphWrites = () => graphCalls().filter((r) => r.method !== 'GET');
  const platformWrites = () => wm.server.requests.filter((r) => r.method !== 'GET');
  const berlin = (date: string, time: string) => ({ dateTime: `${date}T${time}:00`, timeZone: 'W. Europe Standard Time' });
  const bobEvent = (subject: string, extra: Record<string, unknown> = {}) =>
    graph.userInsert(BOB, { subject, start: berlin('2030-03-25', '09:00'), end: berlin('2030-03-25', '10:00'), ...extra });

  it('creates for both sources, writes back once, stays quiet, and follows a move, a rename and a deletion in Outlook', async () => {
    const gEvent = google.userInsert(ALICE, {
      summary: 'Quarterly #webmeeting',
      start: { dateTime: '2030-03-26T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2030-03-26T10:00:00+01:00', timeZone: 'Europe/Berlin' },
    });
    // Tagged twice: categories are the mailbox owner's own (Carol's copy has none), the keyword travels with the invitation.
    const oEvent = bobEvent('Budget review #webmeeting', { categories: ['Web Meeting'], attendees: [{ emailAddress: { address: CAROL } }] });

    const first = await engine.runCycle();

    // Carol's mailbox holds an attendee's copy of Bob's meeting: it gets no meeting of its own.
    expect(first.counts).toMatchObject({ created: 2, skipped: 1, failed: 0 });
    expect(first.calendars.every((c) => c.ok)).toBe(true);
    expect(first.outcomes.find((o) => o.calendarId === CAROL)).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/attendee's copy/) });
    const posts = wm.server.received('POST', '/api/v6/meeting').map((r) => JSON.parse(r.body) as { topic: string; startTime: string; timezone?: string });
    expect(posts.map((p) => p.topic).sort()).toEqual(['Budget review', 'Quarterly']);
    expect(posts.find((p) => p.topic === 'Budget review')).toMatchObject({ startTime: '2030-03-25T08:00:00.000Z', timezone: 'Europe/Berlin' });
    const bobMeeting = wm.meetings().find((m) => m.topic === 'Budget review')!;
    // Write-back: one PATCH, one notification to Carol, the link in the location, our block in the body, the stamp.
    expect(graphWrites()).toHaveLength(1);
    expect(graph.notifications(BOB, oEvent.id)).toHaveLength(1);
    const written = graph.getEvent(BOB, oEvent.id)!;
    expect(written.location.displayName).toMatch(/\/meeting\//);
    expect(written.body.content).toContain(BLOCK_START);
    expect(written.singleValueExtendedProperties).toEqual([{ id: STAMP_PROPERTY_ID, value: expect.stringContaining(bobMeeting.id) }]);
    expect(google.getEvent(ALICE, gEvent.id)!.description).toContain('Join: ');

    const platformCalls = wm.server.requests.length;
    const writesBefore = graphWrites().length;
    const graphBeforeSecond = graph.server.requests.length;
    const second = await engine.runCycle();
    // Our own write-back comes back once in Bob's delta, carrying our block. meetsync holds its
    // meeting, so its stamp decides nothing and is not read: no GET, no platform call, no Graph
    // write. Carol's mailbox was read in the first cycle while Bob's was applied (reads run
    // ahead), so the update of her copy by Bob's write-back comes in this cycle: an attendee's
    // copy never carries our stamp, so it costs nothing beyond the page either.
    expect(graph.server.requests.slice(graphBeforeSecond).map((r) => `${r.method} ${decodeURIComponent(r.path)}`).sort()).toEqual([
      `GET /v1.0/users/${BOB}/calendarView/delta`,
      `GET /v1.0/users/${CAROL}/calendarView/delta`,
    ].sort());
    expect(wm.server.requests.length).toBe(platformCalls);
    expect(graphWrites().length).toBe(writesBefore);
    expect(second.counts.created + second.counts.updated + second.counts.cancelled).toBe(0);
    // Nothing changed since: one delta request per mailbox, nothing else, no token request.
    const graphBefore = graph.server.requests.length;
    await engine.runCycle();
    expect(graph.server.requests.slice(graphBefore).map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /v1.0/users/${BOB}/calendarView/delta`,
      `GET /v1.0/users/${CAROL}/calendarView/delta`,
    ]);
    expect(wm.server.requests.length).toBe(platformCalls);

    graph.userPatch(BOB, oEvent.id, { start: berlin('2030-03-27', '14:00'), end: berlin('2030-03-27', '15:30') });
    await engine.runCycle();
    const puts = wm.server.received('PUT');
    expect(puts).toHaveLength(1);
    expect(JSON.parse(puts[0]!.body)).toMatchObject({ startTime: '2030-03-27T13:00:00.000Z', endTime: '2030-03-27T14:30:00.000Z', duration: 90 });
    // The join details did not change: no second PATCH, no second notification.
    expect(graphWrites()).toHaveLength(1);
    expect(graph.notifications(BOB, oEvent.id)).toHaveLength(1);

    graph.userPatch(BOB, oEvent.id, { subject: 'Budget review (final) #webmeeting' });
    await engine.runCycle();
    expect(wm.server.received('PUT')).toHaveLength(2);
    expect(wm.meetings().find((m) => m.id === bobMeeting.id)?.topic).toBe('Budget review (final)');

    graph.userDelete(BOB, oEvent.id);
    const gone = await engine.runCycle();
    expect(gone.counts.cancelled).toBe(1);
    expect(wm.meetings().map((m) => m.topic)).toEqual(['Quarterly']);
  });

  // With immutable ids, an event deleted in Outlook (moved to Deleted Items) or moved to another
  // calendar of the mailbox still answers GET /users/{id}/events/{id}; only the calendar meetsync
  // reads may say whether it is still there.
  it('cancels the meeting of an event deleted in Outlook into Deleted Items, though GET /events/{id} still answers', async () => {
    const event = bobEvent('Design sync #webmeeting');
    await engine.runCycle();
    expect(wm.meetings().map((m) => m.topic)).toEqual(['Design sync']);

    graph.userDelete(BOB, event.id, { mode: 'deleted-items' });
    expect(graph.getEvent(BOB, event.id)).toMatchObject({ id: event.id, isCancelled: false });
    const report = await engine.runCycle();

    expect(report.counts).toMatchObject({ cancelled: 1, failed: 0 });
    expect(wm.meetings()).toEqual([]);
    // Nothing is written into the item in Deleted Items.
    expect(graphWrites()).toHaveLength(1);
  });

  it('cancels the meeting of an event moved to another calendar of the mailbox, also when a full read must confirm it', async () => {
    const projects = graph.addCalendar(BOB, 'Projects');
    const event = bobEvent('Roadmap #webmeeting');
    await engine.runCycle();
    expect(wm.meetings().map((m) => m.topic)).toEqual(['Roadmap']);

    graph.userMoveEventTo(BOB, event.id, projects.id);
    // The delta link expires too: the full read does not list the event, and a look-up by id must not keep it.
    graph.expireDeltaTokens(BOB);
    const report = await engine.runCycle();

    expect(report.calendars.find((c) => c.calendarId === BOB)).toMatchObject({ ok: true, fullRead: true });
    expect(report.counts).toMatchObject({ cancelled: 1, failed: 0 });
    expect(wm.meetings()).toEqual([]);
  });

  it('cancels the meeting of an event untagged in Outlook and takes the join details off it with one more PATCH', async () => {
    const event = bobEvent('Sprint review', { categories: ['Web Meeting', 'Blue category'], body: { contentType: 'text', content: 'Agenda: demo' } });
    await engine.runCycle();
    expect(wm.meetings()).toHaveLength(1);

    graph.userPatch(BOB, event.id, { categories: ['Blue category'] });
    const report = await engine.runCycle();

    expect(report.counts.cancelled).toBe(1);
    expect(wm.meetings()).toHaveLength(0);
    expect(graphWrites()).toHaveLength(2);
    const cleared = graph.getEvent(BOB, event.id)!;
    expect(cleared.body.content).not.toContain(BLOCK_START);
    expect(cleared.body.content).toContain('Agenda: demo');
    expect(cleared.location.displayName).toBe('');
    expect(cleared.singleValueExtendedProperties).toEqual([{ id: STAMP_PROPERTY_ID, value: '' }]);
    expect(cleared.categories).toEqual(['Blue category']);

    const calls = wm.server.requests.length;
    await engine.runCycle();
    expect(wm.server.requests.length).toBe(calls);
    expect(graphWrites()).toHaveLength(2);
  });

  it('reads afresh after Graph expires the delta link (410) and keeps every meeting: nothing created, cancelled or written', async () => {
    bobEvent('One #webmeeting');
    bobEvent('Two #webmeeting', { start: berlin('2030-03-26', '09:00'), end: berlin('2030-03-26', '10:00') });
    await engine.runCycle();
    await engine.runCycle();
    const platform = platformWrites().length;
    const writes = graphWrites().length;
    graph.expireDeltaTokens();

    const report = await engine.runCycle();

    expect(report.calendars.find((c) => c.calendarId === BOB)).toMatchObject({ ok: true, fullRead: true, fullReason: expect.stringMatching(/expired/) });
    expect(report.counts).toMatchObject({ created: 0, cancelled: 0, adopted: 0, failed: 0 });
    expect(platformWrites().length).toBe(platform);
    expect(graphWrites().length).toBe(writes);
    expect(wm.meetings()).toHaveLength(2);
  });

  it('makes one recurring meeting of a weekly series in its Windows zone, and records an edited occurrence without platform calls', async () => {
    const series = bobEvent('Weekly sync', {
      categories: ['Web Meeting'],
      start: berlin('2030-03-18', '09:00'),
      end: berlin('2030-03-18', '09:30'),
      recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] }, range: { type: 'endDate', startDate: '2030-03-18', endDate: '2030-04-29' } },
    });
    await engine.runCycle();
    const post = JSON.parse(wm.server.received('POST', '/api/v6/meeting')[0]!.body);
    expect(post).toMatchObject({ topic: 'Weekly sync', isRecurring: true, startTime: '2030-03-18T08:00:00.000Z', timezone: 'Europe/Berlin' });
    expect(post.recurring).toMatchObject({ frequencyType: 'weekly', frequency: 1, endsType: 'on' });
    expect(wm.meetings()).toHaveLength(1);
    expect(graphWrites()).toHaveLength(1);

    // After Berlin's DST change the occurrence still starts at 09:00 local (07:00Z); it is moved to 11:00.
    graph.userEditOccurrence(BOB, series.id, '2030-04-01', { start: berlin('2030-04-01', '11:00'), end: berlin('2030-04-01', '11:30') });
    const writes = platformWrites().length;
    const report = await engine.runCycle();
    expect(platformWrites().length).toBe(writes);
    expect(report.outcomes.some((o) => o.outcome === 'recorded')).toBe(true);
    expect(store.notes()).toEqual([expect.objectContaining({ kind: 'exception', seriesId: series.id, source: 'corp-m365', calendarId: BOB })]);
    expect(wm.meetings()).toHaveLength(1);

    graph.userDelete(BOB, series.id);
    const gone = await engine.runCycle();
    expect(gone.counts.cancelled).toBe(1);
    expect(wm.meetings()).toHaveLength(0);
  });

  it('makes a monthly meeting on the second Tuesday of a relativeMonthly series', async () => {
    bobEvent('Board #webmeeting', {
      start: berlin('2030-01-08', '15:00'),
      end: berlin('2030-01-08', '16:00'),
      recurrence: { pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['tuesday'], index: 'second' }, range: { type: 'numbered', startDate: '2030-01-08', numberOfOccurrences: 6 } },
    });

    const report = await engine.runCycle();

    expect(report.counts).toMatchObject({ created: 1, skipped: 0, failed: 0 });
    const post = JSON.parse(wm.server.received('POST', '/api/v6/meeting')[0]!.body);
    expect(post).toMatchObject({ topic: 'Board', isRecurring: true, startTime: '2030-01-08T14:00:00.000Z', timezone: 'Europe/Berlin' });
    expect(post.recurring).toMatchObject({ frequencyType: 'monthly', frequency: 1, monthlyPattern: 'dayOfWeek', endsType: 'after', endsAfter: 6 });
  });

  it("never makes a meeting of an attendee's copy, nor of an invitation from outside, however it is tagged", async () => {
    graph.userInsert(CAROL, {
      subject: 'Partner call #webmeeting',
      categories: ['Web Meeting'],
      start: berlin('2030-03-25', '11:00'),
      end: berlin('2030-03-25', '12:00'),
      organizer: { emailAddress: { address: 'dana@partner.example', name: 'Dana' } },
    });

    const report = await engine.runCycle();

    expect(report.counts).toMatchObject({ created: 0, skipped: 1 });
    expect(wm.server.received('POST', '/api/v6/meeting')).toHaveLength(0);
    expect(graphWrites()).toHaveLength(0);
  });

  it('fails an Outlook source whose client secret expired alone, loudly; the Google calendar in the same cycle goes on', async () => {
    bobEvent('Before #webmeeting');
    await engine.runCycle();
    graph.expireClientSecret(GRAPH_APP.clientId);
    graph.expireAccessTokens();
    bobEvent('After #webmeeting');
    google.userInsert(ALICE, {
      summary: 'Google goes on #webmeeting',
      start: { dateTime: '2030-03-26T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2030-03-26T10:00:00+01:00', timeZone: 'Europe/Berlin' },
    });

    const report = await engine.runCycle();

    expect(report.halted).toBeUndefined();
    expect(report.counts.created).toBe(1);
    expect(wm.meetings().map((m) => m.topic).sort()).toEqual(['Before', 'Google goes on']);
    expect(report.calendars.find((c) => c.calendarId === ALICE)).toMatchObject({ ok: true });
    for (const mailbox of [BOB, CAROL]) {
      const result = report.calendars.find((c) => c.calendarId === mailbox)!;
      expect(result).toMatchObject({ ok: false, authError: true });
      expect(result.error).toMatch(/AADSTS7000222.*sources\[1\]\.auth\.clientSecret/);
      expect(result.error).not.toContain(GRAPH_APP.clientSecret);
    }
    expect(store.calendarState('corp-m365', BOB)).toMatchObject({ consecutiveFailures: 1 });
    // The meeting made before is not touched by the failing read.
    expect(report.counts.cancelled).toBe(0);
  });

  it('fails only the mailbox outside the application access policy', async () => {
    graph.setApplicationAccessPolicy(GRAPH_APP.clientId, { accessRight: 'RestrictAccess', mailboxes: [BOB] });
    bobEvent('Inside #webmeeting');

    const report = await engine.runCycle();

    expect(report.counts.created).toBe(1);
    expect(report.calendars.map((c) => [c.calendarId, c.ok, c.authError ?? false])).toEqual([
      [ALICE, true, false],
      [BOB, true, false],
      [CAROL, false, true],
    ]);
    expect(report.calendars.find((c) => c.calendarId === CAROL)!.error).toMatch(/Access to OData is disabled/);
  });
});
