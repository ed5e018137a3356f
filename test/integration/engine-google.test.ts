import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleSource } from '../../src/calendars/google/source.js';
import { silentLogger } from '../../src/log.js';
import { GoogleCalendarSimulator } from '../../src/simulators/google/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { WebMeetingSimulator } from '../../src/simulators/webmeeting/server.js';
import { buildStatus } from '../../src/status.js';
import { Store } from '../../src/store/store.js';
import { SyncEngine, type EngineDeps } from '../../src/sync/engine.js';
import { refreshOrganizers } from '../../src/sync/organizers.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';
import { settings } from '../support/engine-harness.js';

const OAUTH = { clientId: 'cid', clientSecret: 'engine-google-secret', refreshToken: 'engine-google-refresh' };
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

/** Whole cycles with the real googleapis SDK against the Google simulator, and the Web Meeting simulator. */
describe('sync engine with the Google source', () => {
  let google: GoogleCalendarSimulator;
  let wm: WebMeetingSimulator;
  let store: Store;
  let engine: SyncEngine;
  let deps: EngineDeps;

  beforeEach(async () => {
    const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
    google = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH] });
    wm = new WebMeetingSimulator({ apiKey: 'engine-google-api-key', tls });
    await google.start();
    await wm.start();
    google.addCalendar(ALICE, { timeZone: 'Europe/Berlin' });
    google.addCalendar(BOB);
    const { account } = wm.seedAccount({ adminEmail: ALICE });
    wm.addUser(account.id, { email: BOB });
    const platform = new WebMeetingClient({ baseUrl: wm.url, apiKey: 'engine-google-api-key', retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    store = Store.open(':memory:');
    await refreshOrganizers(platform, store, [account.id], new Date());
    const source = new GoogleSource({
      name: 'corp-google',
      calendars: [ALICE, BOB],
      auth: { type: 'oauth', ...OAUTH },
      rootUrl: google.rootUrl,
      tokenUrl: google.tokenUrl,
      retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    });
    deps = { store, platform, sources: [source], settings: settings({ accountIds: [account.id] }), logger: silentLogger() };
    engine = new SyncEngine(deps);
  });
  afterEach(async () => {
    store.close();
    await google.stop();
    await wm.stop();
  });

  const platformWrites = () => wm.server.requests.filter((r) => r.method !== 'GET').length;
  const insert = (summary: string, extra: Record<string, unknown> = {}) =>
    google.userInsert(ALICE, {
      summary,
      start: { dateTime: '2030-03-25T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2030-03-25T10:00:00+01:00', timeZone: 'Europe/Berlin' },
      ...extra,
    });

  it('creates, writes back once, ignores its own write-back, follows a move with one PUT, and deletes', async () => {
    const event = insert('Quarterly #webmeeting', { attendees: [{ email: BOB }] });
    const first = await engine.runCycle();
    // Bob's calendar holds an attendee copy: it must not get a meeting of its own.
    expect(first.counts).toMatchObject({ created: 1, skipped: 1 });
    expect(wm.meetings()).toHaveLength(1);
    expect(google.server.received('PATCH')).toHaveLength(1);
    const stamped = google.getEvent(ALICE, event.id)!;
    expect(stamped.extendedProperties?.private?.meetsyncMeetingId).toBe(wm.meetings()[0]!.id);
    expect(stamped.description).toContain('Join: ');

    const calls = wm.server.requests.length;
    const quiet = await engine.runCycle();
    expect(wm.server.requests.length).toBe(calls);
    expect(quiet.counts.created + quiet.counts.updated).toBe(0);
    expect(google.server.received('PATCH')).toHaveLength(1);

    google.userPatch(ALICE, event.id, {
      start: { dateTime: '2030-03-26T14:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2030-03-26T15:30:00+01:00', timeZone: 'Europe/Berlin' },
    });
    await engine.runCycle();
    const puts = wm.server.received('PUT');
    expect(puts).toHaveLength(1);
    expect(JSON.parse(puts[0]!.body)).toMatchObject({ startTime: '2030-03-26T13:00:00.000Z', endTime: '2030-03-26T14:30:00.000Z', duration: 90 });

    google.userDelete(ALICE, event.id);
    const gone = await engine.runCycle();
    expect(gone.counts.cancelled).toBe(1);
    expect(wm.meetings()).toHaveLength(0);
  });

  it("tells onLinkWritten of a newly tagged event's join link with the event's `updated` as Google reported it, once; a move is not a new link", async () => {
    const written: Array<{ source: string; updated: string }> = [];
    const observed = new SyncEngine({ ...deps, onLinkWritten: ({ source, updated }) => void written.push({ source, updated }) });
    const event = insert('Standup #webmeeting');
    await observed.runCycle();
    expect(written).toEqual([{ source: 'corp-google', updated: new Date(event.updated!).toISOString() }]);
    const before = wm.meetings()[0]!.startTime;
    google.userPatch(ALICE, event.id, { start: { dateTime: '2030-03-26T09:00:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2030-03-26T10:00:00+01:00', timeZone: 'Europe/Berlin' } });
    await observed.runCycle();
    // The move reached the meeting, and wrote no new link.
    expect(wm.meetings()[0]!.startTime).not.toBe(before);
    expect(written).toHaveLength(1);
  });

  it('skips tagged focus time, out of office, working location, birthday and Gmail events with the reason in status: no platform call, no patch', async () => {
    const restricted = ['focusTime', 'outOfOffice', 'workingLocation', 'birthday', 'fromGmail'];
    const events = restricted.map((eventType) => insert(`${eventType} #webmeeting`, { eventType }));
    const platformCalls = wm.server.requests.length;

    const first = await engine.runCycle();
    const second = await engine.runCycle();

    expect(first.counts).toMatchObject({ created: 0, skipped: restricted.length });
    expect(second.counts.created).toBe(0);
    expect(wm.meetings()).toHaveLength(0);
    expect(wm.server.requests.length).toBe(platformCalls);
    expect(google.server.received('PATCH')).toHaveLength(0);
    const problems = buildStatus(store, [{ source: 'corp-google', calendarId: ALICE }, { source: 'corp-google', calendarId: BOB }]).problems;
    expect(problems.map((p) => [p.eventId, p.kind, p.reason])).toEqual(
      expect.arrayContaining(
        events.map((e, i) => [e.id, 'skipped', expect.stringMatching(new RegExp(`^Google event type ${restricted[i]} \\(.*cannot carry a join link`))]),
      ),
    );
    expect(problems).toHaveLength(restricted.length);
  });

  it('makes one recurring meeting in local time across DST, and records a cancelled occurrence', async () => {
    // Weekly Monday 09:00 Berlin from 2030-03-18; Berlin switches to summer time on 2030-03-31.
    const series = google.userInsert(ALICE, {
      summary: 'Weekly #webmeeting',
      start: { dateTime: '2030-03-18T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2030-03-18T09:30:00+01:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20300428T235959Z'],
    });
    await engine.runCycle();
    const post = JSON.parse(wm.server.received('POST', '/api/v6/meeting')[0]!.body);
    expect(post).toMatchObject({ isRecurring: true, startTime: '2030-03-18T08:00:00.000Z', timezone: 'Europe/Berlin' });
    expect(post.recurring).toMatchObject({ frequencyType: 'weekly', frequency: 1, endsType: 'on' });

    // The occurrence after the DST change starts at 07:00Z (still 09:00 in Berlin).
    google.userCancelOccurrence(ALICE, series.id, '2030-04-01T07:00:00.000Z');
    const writes = platformWrites();
    const report = await engine.runCycle();
    expect(platformWrites()).toBe(writes);
    expect(report.outcomes.some((o) => o.outcome === 'recorded')).toBe(true);
    expect(store.notes()).toEqual([expect.objectContaining({ kind: 'exception', seriesId: series.id })]);
  });

  it('recovers from an expired sync token without losing or duplicating anything', async () => {
    insert('One #webmeeting');
    await engine.runCycle();
    google.expireSyncTokens();
    insert('Two #webmeeting');
    const report = await engine.runCycle();
    expect(report.calendars[0]).toMatchObject({ ok: true, fullRead: true });
    expect(report.counts.created).toBe(1);
    expect(wm.meetings().map((m) => m.topic).sort()).toEqual(['One', 'Two']);
  });
});
