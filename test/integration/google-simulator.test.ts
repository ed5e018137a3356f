import { readFileSync } from 'node:fs';
import { google, type calendar_v3 } from 'googleapis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleCalendarSimulator, type GoogleEvent } from '../../src/simulators/google/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';

/**
 * The Google Calendar simulator driven by the real googleapis SDK over https. Expectations come
 * from Google's documents (guides/sync, guides/errors, the events.list reference, the discovery
 * document) and from captured pages (test/fixtures/google/compass-*.json).
 */

const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
const fixture = (name: string): any => JSON.parse(readFileSync(new URL(`../fixtures/google/${name}`, import.meta.url), 'utf8'));

const CLIENT = { clientId: 'client-1.apps.googleusercontent.com', clientSecret: 'shh-secret', refreshToken: '1//refresh-alice' };
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

let sim: GoogleCalendarSimulator;

beforeEach(async () => {
  sim = new GoogleCalendarSimulator({ tls, oauthClients: [CLIENT] });
  await sim.start();
  sim.addCalendar(ALICE, { timeZone: 'America/Chicago' });
  sim.addCalendar(BOB);
});

afterEach(async () => {
  await sim.stop();
});

function oauthClient() {
  return new google.auth.OAuth2({
    clientId: CLIENT.clientId,
    clientSecret: CLIENT.clientSecret,
    endpoints: { oauth2TokenUrl: sim.tokenUrl },
  });
}

function calendarApi(auth = oauthClient()): calendar_v3.Calendar {
  if (!auth.credentials.refresh_token && !auth.credentials.access_token) auth.setCredentials({ refresh_token: CLIENT.refreshToken });
  return google.calendar({ version: 'v3', auth, rootUrl: sim.rootUrl });
}

/** The status and body a failed SDK call carries (GaxiosError.response). */
async function failure(call: Promise<unknown>): Promise<{ status: number; data: any; headers: Headers }> {
  try {
    await call;
  } catch (err) {
    const response = (err as { response?: { status: number; data: unknown; headers: Headers } }).response;
    if (!response) throw err;
    return { status: response.status, data: response.data, headers: response.headers };
  }
  throw new Error('expected the call to fail');
}

function single(summary: string, day: number, extra: Partial<GoogleEvent> = {}): Partial<GoogleEvent> {
  const d = String(day).padStart(2, '0');
  return {
    summary,
    start: { dateTime: `2026-03-${d}T10:00:00-05:00`, timeZone: 'America/Chicago' },
    end: { dateTime: `2026-03-${d}T11:00:00-05:00`, timeZone: 'America/Chicago' },
    ...extra,
  };
}

/** The series of compass-recurring-delete-single.json: daily 08:00 Chicago across the DST change. */
function breakfastSeries(): Partial<GoogleEvent> {
  return {
    summary: '🍜 Breakfast',
    start: { dateTime: '2025-02-09T08:00:00-06:00', timeZone: 'America/Chicago' },
    end: { dateTime: '2025-02-09T09:00:00-06:00', timeZone: 'America/Chicago' },
    recurrence: ['RRULE:FREQ=DAILY;UNTIL=20250401T045959Z'],
  };
}

async function fullSync(api: calendar_v3.Calendar, calendarId: string, params: calendar_v3.Params$Resource$Events$List = {}) {
  const pages: calendar_v3.Schema$Events[] = [];
  let pageToken: string | undefined;
  do {
    const { data } = await api.events.list({ calendarId, ...params, ...(pageToken ? { pageToken } : {}) });
    pages.push(data);
    pageToken = data.nextPageToken ?? undefined;
  } while (pageToken);
  return { pages, items: pages.flatMap((p) => p.items ?? []), syncToken: pages.at(-1)?.nextSyncToken ?? undefined };
}

describe('events.list paging and sync tokens (guides/sync)', () => {
  it('pages a full read and puts nextSyncToken on the last page only', async () => {
    const ids = [1, 2, 3, 4, 5, 6, 7].map((d) => sim.userInsert(ALICE, single(`meeting ${d}`, d)).id);
    const { pages, items, syncToken } = await fullSync(calendarApi(), ALICE, { maxResults: 3 });
    expect(pages.map((p) => p.items?.length)).toEqual([3, 3, 1]);
    expect(pages.slice(0, -1).every((p) => p.nextPageToken && p.nextSyncToken === undefined)).toBe(true);
    expect(pages.at(-1)!.nextPageToken).toBeUndefined();
    expect(syncToken).toEqual(expect.any(String));
    expect(items.map((i) => i.id).sort()).toEqual([...ids].sort());
    expect(sim.server.received('GET', '/events')).toHaveLength(3);
    expect(pages[0]).toMatchObject({ kind: 'calendar#events', timeZone: 'America/Chicago', accessRole: 'owner' });
  });

  it('returns only changes on an incremental read, deletions as bare cancelled items', async () => {
    const api = calendarApi();
    const kept = sim.userInsert(ALICE, single('kept', 2));
    const edited = sim.userInsert(ALICE, single('edited', 3));
    const gone = sim.userInsert(ALICE, single('gone', 4));
    const { syncToken } = await fullSync(api, ALICE);

    sim.userPatch(ALICE, edited.id, { summary: 'edited in the UI' });
    sim.userDelete(ALICE, gone.id);
    const added = sim.userInsert(ALICE, single('added', 5));
    await api.events.patch({ calendarId: ALICE, eventId: kept.id, requestBody: { location: 'Room 1' } });

    const delta = await fullSync(api, ALICE, { syncToken: syncToken! });
    const byId = new Map(delta.items.map((i) => [i.id, i]));
    expect([...byId.keys()].sort()).toEqual([kept.id, edited.id, gone.id, added.id].sort());
    expect(byId.get(edited.id)!.summary).toBe('edited in the UI');
    expect(byId.get(kept.id)!.location).toBe('Room 1');
    expect(Object.keys(byId.get(gone.id)!).sort()).toEqual(['etag', 'id', 'kind', 'status']);
    expect(byId.get(gone.id)!.status).toBe('cancelled');
    // compass-recurring-delete-all-1.json: a deleted event is exactly {kind, etag, id, status}.
    expect(Object.keys(byId.get(gone.id)!).sort()).toEqual(Object.keys(fixture('compass-recurring-delete-all-1.json').items[0]).sort());

    const quiet = await fullSync(api, ALICE, { syncToken: delta.syncToken! });
    expect(quiet.items).toEqual([]);
    expect(quiet.syncToken).toEqual(expect.any(String));
  });

  it('answers 410 fullSyncRequired for expired and unknown sync tokens', async () => {
    const api = calendarApi();
    sim.userInsert(ALICE, single('one', 2));
    const { syncToken } = await fullSync(api, ALICE);
    sim.expireSyncTokens(ALICE);
    const expired = await failure(api.events.list({ calendarId: ALICE, syncToken: syncToken! }));
    expect(expired.status).toBe(410);
    expect(expired.data.error.errors[0]).toMatchObject({ domain: 'calendar', reason: 'fullSyncRequired', location: 'syncToken' });
    const garbage = await failure(api.events.list({ calendarId: ALICE, syncToken: `1${syncToken}` }));
    expect(garbage.status).toBe(410);
    const fresh = await fullSync(api, ALICE);
    expect(fresh.items).toHaveLength(1);
    expect((await api.events.list({ calendarId: ALICE, syncToken: fresh.syncToken! })).status).toBe(200);
  });

  it('rejects with 400 the parameters Google forbids next to syncToken, and orderBy=startTime without singleEvents', async () => {
    const api = calendarApi();
    const { syncToken } = await fullSync(api, ALICE);
    const forbidden: Array<calendar_v3.Params$Resource$Events$List> = [
      { iCalUID: 'x@google.com' }, { orderBy: 'updated' }, { privateExtendedProperty: ['a=b'] }, { q: 'x' },
      { sharedExtendedProperty: ['a=b'] }, { timeMin: '2026-01-01T00:00:00Z' }, { timeMax: '2026-01-01T00:00:00Z' },
      { updatedMin: '2026-01-01T00:00:00Z' },
    ];
    for (const extra of forbidden) {
      const res = await failure(api.events.list({ calendarId: ALICE, syncToken: syncToken!, ...extra }));
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.data.error.code).toBe(400);
    }
    const order = await failure(api.events.list({ calendarId: ALICE, orderBy: 'startTime' }));
    expect(order.status).toBe(400);
    sim.userInsert(ALICE, single('late', 20));
    sim.userInsert(ALICE, single('early', 2));
    const sorted = await api.events.list({ calendarId: ALICE, orderBy: 'startTime', singleEvents: true });
    expect(sorted.data.items!.map((i) => i.summary)).toEqual(['early', 'late']);
  });

  it('filters a full read by timeMin/timeMax and omits deleted events unless showDeleted', async () => {
    const api = calendarApi();
    sim.userInsert(ALICE, single('before', 2));
    const inside = sim.userInsert(ALICE, single('inside', 10));
    const deletedOne = sim.userInsert(ALICE, single('deleted', 11));
    sim.userDelete(ALICE, deletedOne.id);
    const window = { timeMin: '2026-03-05T00:00:00Z', timeMax: '2026-03-15T00:00:00Z' };
    const visible = await fullSync(api, ALICE, window);
    expect(visible.items.map((i) => i.id)).toEqual([inside.id]);
    const all = await fullSync(api, ALICE, { ...window, showDeleted: true });
    expect(all.items.map((i) => i.id).sort()).toEqual([inside.id, deletedOne.id].sort());
    // Event.status: on the organizer's calendar a deleted event keeps its details.
    expect(all.items.find((i) => i.id === deletedOne.id)).toMatchObject({ status: 'cancelled', summary: 'deleted' });
    const empty = await failure(api.events.list({ calendarId: ALICE, timeMin: window.timeMax, timeMax: window.timeMin }));
    expect(empty.data.error.errors[0].reason).toBe('timeRangeEmpty');
  });
});

describe('event writes', () => {
  it('answers 412 conditionNotMet to a PATCH with a stale If-Match and applies a fresh one', async () => {
    const api = calendarApi();
    const created = (await api.events.insert({ calendarId: ALICE, requestBody: single('plan', 2) })).data;
    sim.userPatch(ALICE, created.id!, { summary: 'changed meanwhile' });
    const stale = await failure(
      api.events.patch({ calendarId: ALICE, eventId: created.id!, requestBody: { summary: 'mine' } }, { headers: { 'If-Match': created.etag! } }),
    );
    expect(stale.status).toBe(412);
    expect(stale.data).toEqual({
      error: {
        errors: [{ domain: 'global', reason: 'conditionNotMet', message: 'Precondition Failed', locationType: 'header', location: 'If-Match' }],
        code: 412,
        message: 'Precondition Failed',
      },
    });
    expect(sim.getEvent(ALICE, created.id!)!.summary).toBe('changed meanwhile');
    const current = (await api.events.get({ calendarId: ALICE, eventId: created.id! })).data;
    const patched = await api.events.patch(
      { calendarId: ALICE, eventId: created.id!, requestBody: { summary: 'mine' } },
      { headers: { 'If-Match': current.etag! } },
    );
    expect(patched.data.summary).toBe('mine');
    expect(patched.data.etag).not.toBe(current.etag);
    expect(patched.data.sequence).toBe(current.sequence); // a retitle is no significant revision
    const moved = await api.events.patch({ calendarId: ALICE, eventId: created.id!, requestBody: { start: { dateTime: '2026-03-02T09:00:00-05:00' } } });
    expect(moved.data.sequence).toBe(current.sequence! + 1);
  });

  it('merges extendedProperties.private key by key on PATCH and drops it on PUT', async () => {
    const api = calendarApi();
    const ev = sim.userInsert(ALICE, single('tagged', 2, { extendedProperties: { shared: { s: '1' } } }));
    await api.events.patch({ calendarId: ALICE, eventId: ev.id, requestBody: { extendedProperties: { private: { a: '1' } } } });
    const both = await api.events.patch({ calendarId: ALICE, eventId: ev.id, requestBody: { extendedProperties: { private: { b: '2' } } } });
    expect(both.data.extendedProperties).toEqual({ private: { a: '1', b: '2' }, shared: { s: '1' } });
    const put = await api.events.update({ calendarId: ALICE, eventId: ev.id, requestBody: single('replaced', 2) });
    expect(put.data.extendedProperties).toBeUndefined();
    expect(put.data.summary).toBe('replaced');
  });

  it('records the sendUpdates of each write and refuses a value outside the documented enum (events.patch reference)', async () => {
    const api = calendarApi();
    const ev = sim.userInsert(ALICE, single('tagged', 2));
    await api.events.patch({ calendarId: ALICE, eventId: ev.id, sendUpdates: 'externalOnly', requestBody: { description: 'a' } });
    await api.events.patch({ calendarId: ALICE, eventId: ev.id, requestBody: { description: 'b' } });
    const wrong = await failure(api.events.patch({ calendarId: ALICE, eventId: ev.id, sendUpdates: 'everyone', requestBody: { description: 'c' } }));
    expect(wrong.status).toBe(400);
    expect(wrong.data.error.errors[0]).toMatchObject({ reason: 'invalid', locationType: 'parameter', location: 'sendUpdates' });
    expect(sim.getEvent(ALICE, ev.id)!.description).toBe('b');
    expect(sim.guestNotices()).toEqual([
      { method: 'PATCH', calendarId: ALICE, eventId: ev.id, sendUpdates: 'externalOnly' },
      { method: 'PATCH', calendarId: ALICE, eventId: ev.id, sendUpdates: undefined },
    ]);
  });

  it('serves eventType on every event and refuses a write a birthday or a Gmail event does not allow (guides/event-types)', async () => {
    const api = calendarApi();
    const plain = sim.userInsert(ALICE, single('plain', 2));
    const focus = sim.userInsert(ALICE, single('Focus', 3, { eventType: 'focusTime', focusTimeProperties: { autoDeclineMode: 'declineNone' } } as Partial<GoogleEvent>));
    const birthday = sim.userInsert(ALICE, {
      summary: 'Bob', eventType: 'birthday', start: { date: '2026-03-04' }, end: { date: '2026-03-05' },
      recurrence: ['RRULE:FREQ=YEARLY'], birthdayProperties: { type: 'birthday' },
    } as Partial<GoogleEvent>);
    const gmail = sim.userInsert(ALICE, single('Flight to Berlin', 5, { eventType: 'fromGmail' }));
    const { items } = await fullSync(api, ALICE);
    expect(Object.fromEntries(items.map((e) => [e.summary, e.eventType]))).toEqual({
      plain: 'default', Focus: 'focusTime', Bob: 'birthday', 'Flight to Berlin': 'fromGmail',
    });
    expect(plain.eventType).toBe('default');

    for (const ev of [birthday, gmail]) {
      const refused = await failure(api.events.patch({ calendarId: ALICE, eventId: ev.id, requestBody: { description: 'Join: https://x' } }));
      expect(refused.status).toBe(400);
      expect(refused.data.error.errors).toEqual([
        { domain: 'calendar', reason: 'eventTypeRestriction', message: `Attempt made to modify '${ev.eventType}' event in a way that is not valid for this event type.` },
      ]);
      expect(sim.getEvent(ALICE, ev.id)!.description).toBeUndefined();
    }
    // 'birthday' event type must not have private extended properties (OutlookGoogleCalendarSync#2103).
    expect((await failure(api.events.patch({ calendarId: ALICE, eventId: birthday.id, requestBody: { extendedProperties: { private: { a: '1' } } } }))).status).toBe(400);
    expect((await api.events.patch({ calendarId: ALICE, eventId: birthday.id, requestBody: { summary: 'Bob B.' } })).data.summary).toBe('Bob B.');
    const stamped = await api.events.patch({ calendarId: ALICE, eventId: gmail.id, requestBody: { extendedProperties: { private: { a: '1' } } } });
    expect(stamped.data.extendedProperties?.private).toEqual({ a: '1' });
    const retyped = await failure(api.events.patch({ calendarId: ALICE, eventId: focus.id, requestBody: { eventType: 'default' } }));
    expect(retyped.status).toBe(400);
    expect(retyped.data.error.message).toBe('Event type cannot be changed.');
  });

  it('keeps deleted events readable, answers 410 deleted to a second delete, 409 to a reused id', async () => {
    const api = calendarApi();
    const ev = (await api.events.insert({ calendarId: ALICE, requestBody: { ...single('x', 2), id: 'meetsnc0001' } })).data;
    expect(ev.id).toBe('meetsnc0001');
    expect(ev.iCalUID).toBe('meetsnc0001@google.com');
    expect((await api.events.delete({ calendarId: ALICE, eventId: ev.id! })).status).toBe(204);
    expect((await api.events.get({ calendarId: ALICE, eventId: ev.id! })).data.status).toBe('cancelled');
    const again = await failure(api.events.delete({ calendarId: ALICE, eventId: ev.id! }));
    expect(again.status).toBe(410);
    expect(again.data.error.errors[0]).toEqual({ domain: 'global', reason: 'deleted', message: 'Resource has been deleted' });
    const dup = await failure(api.events.insert({ calendarId: ALICE, requestBody: { ...single('y', 3), id: 'meetsnc0001' } }));
    expect(dup.status).toBe(409);
    const badId = await failure(api.events.insert({ calendarId: ALICE, requestBody: { ...single('y', 3), id: 'Not_Base32' } }));
    expect(badId.status).toBe(400);
    const missing = await failure(api.events.get({ calendarId: ALICE, eventId: 'nosuchevent' }));
    expect(missing.data).toEqual({ error: { errors: [{ domain: 'global', reason: 'notFound', message: 'Not Found' }], code: 404, message: 'Not Found' } });
  });
});

describe('attendee copies', () => {
  it("gives an invited calendar its own copy with organizer.self unset and its own private properties", async () => {
    const api = calendarApi();
    const ev = (await api.events.insert({
      calendarId: ALICE,
      requestBody: single('sync', 2, { attendees: [{ email: ALICE }, { email: BOB }] }),
    })).data;
    const bobSync = await fullSync(api, BOB);
    const copy = bobSync.items.find((i) => i.id === ev.id)!;
    expect(copy.iCalUID).toBe(ev.iCalUID);
    expect(copy.organizer).toEqual({ email: ALICE });
    expect(copy.attendees!.find((a) => a.email === BOB)!.self).toBe(true);
    expect(ev.organizer).toEqual({ email: ALICE, self: true });

    await api.events.patch({ calendarId: ALICE, eventId: ev.id!, requestBody: { extendedProperties: { private: { meetingId: 'm-1' } } } });
    const bobAfterStamp = (await api.events.get({ calendarId: BOB, eventId: ev.id! })).data;
    expect(bobAfterStamp.extendedProperties?.private).toBeUndefined();
    expect(bobAfterStamp.etag).toBe(copy.etag); // a private stamp does not touch the copies
    await api.events.patch({ calendarId: BOB, eventId: ev.id!, requestBody: { extendedProperties: { private: { mine: 'b' } } } });
    expect((await api.events.get({ calendarId: ALICE, eventId: ev.id! })).data.extendedProperties?.private).toEqual({ meetingId: 'm-1' });

    sim.userPatch(ALICE, ev.id!, { summary: 'sync (moved)' });
    const bobDelta = await fullSync(api, BOB, { syncToken: bobSync.syncToken! });
    const updatedCopy = bobDelta.items.find((i) => i.id === ev.id)!;
    expect(updatedCopy.summary).toBe('sync (moved)');
    expect(updatedCopy.extendedProperties?.private).toEqual({ mine: 'b' });

    sim.userPatch(ALICE, ev.id!, { attendees: [{ email: ALICE }] });
    expect(sim.getEvent(BOB, ev.id!)!.status).toBe('cancelled');
  });
});

describe('recurring events (singleEvents=false)', () => {
  it('lists master, exception and cancelled instance in the shapes of the captured compass pages', async () => {
    const api = calendarApi();
    const { syncToken } = await fullSync(api, ALICE);
    const master = sim.userInsert(ALICE, breakfastSeries());
    sim.userCancelOccurrence(ALICE, master.id, '2025-03-25T13:00:00Z');
    sim.userEditOccurrence(ALICE, master.id, '2025-03-26T13:00:00Z', { summary: '🧼 just this one' });

    const { items } = await fullSync(api, ALICE, { syncToken: syncToken! });
    const byId = new Map(items.map((i) => [i.id!, i]));
    expect(byId.get(master.id)!.recurrence).toEqual(['RRULE:FREQ=DAILY;UNTIL=20250401T045959Z']);
    expect(byId.get(master.id)!.start).toEqual({ dateTime: '2025-02-09T08:00:00-06:00', timeZone: 'America/Chicago' });

    const cancelled = byId.get(`${master.id}_20250325T130000Z`)!;
    const captured = fixture('compass-recurring-delete-single.json').items[1];
    expect(Object.keys(cancelled).sort()).toEqual(Object.keys(captured).sort());
    expect(cancelled.originalStartTime).toEqual(captured.originalStartTime);
    expect(cancelled).toMatchObject({ status: 'cancelled', recurringEventId: master.id });

    const exception = byId.get(`${master.id}_20250326T130000Z`)!;
    const capturedException = fixture('compass-recurring-edit-single-instance-3.json').items[1];
    expect(Object.keys(exception).sort()).toEqual(Object.keys(capturedException).sort());
    expect(exception).toMatchObject({
      summary: '🧼 just this one',
      recurringEventId: master.id,
      originalStartTime: { dateTime: '2025-03-26T08:00:00-05:00', timeZone: 'America/Chicago' },
      start: { dateTime: '2025-03-26T08:00:00-05:00', timeZone: 'America/Chicago' },
      iCalUID: master.iCalUID,
      sequence: 0,
    });

    // events.list showDeleted: cancelled instances of a live series are listed on a full read.
    const full = await fullSync(api, ALICE);
    expect(full.items.map((i) => i.id)).toContain(cancelled.id);
  });

  it('expands instances for singleEvents=true and cancels an instance deleted by id', async () => {
    const api = calendarApi();
    const master = sim.userInsert(ALICE, breakfastSeries());
    await api.events.delete({ calendarId: ALICE, eventId: `${master.id}_20250310T130000Z` });
    const week = await fullSync(api, ALICE, { singleEvents: true, orderBy: 'startTime', timeMin: '2025-03-08T00:00:00Z', timeMax: '2025-03-12T00:00:00Z' });
    expect(week.items.map((i) => i.start?.dateTime)).toEqual([
      '2025-03-08T08:00:00-06:00',
      '2025-03-09T08:00:00-05:00', // US DST began that night: still 08:00 local
      '2025-03-11T08:00:00-05:00',
    ]);
    expect(week.items.every((i) => i.recurringEventId === master.id && i.recurrence === undefined)).toBe(true);
  });
});

describe('authentication', () => {
  it('answers 401 to a bad token, and the SDK refreshes and retries', async () => {
    const bare = await fetch(`${sim.rootUrl}calendar/v3/calendars/${encodeURIComponent(ALICE)}/events`, {
      headers: { authorization: 'Bearer ya29.not-a-token' },
    });
    expect(bare.status).toBe(401);
    const body = (await bare.json()) as any;
    expect(body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    expect(body.error.errors).toEqual([
      { domain: 'global', reason: 'authError', message: 'Invalid Credentials', locationType: 'header', location: 'Authorization' },
    ]);

    const auth = oauthClient();
    auth.setCredentials({ access_token: 'ya29.stale', refresh_token: CLIENT.refreshToken });
    const res = await calendarApi(auth).events.list({ calendarId: ALICE });
    expect(res.status).toBe(200);
    expect(sim.server.received('GET', '/events').slice(1).map((r) => r.headers.authorization)).toEqual([
      'Bearer ya29.stale',
      `Bearer ${auth.credentials.access_token}`,
    ]);
    expect(sim.server.received('POST', '/token')).toHaveLength(1);

    sim.expireAccessTokens();
    const expired = await failure(calendarApi(auth).events.list({ calendarId: ALICE }));
    expect(expired.status).toBe(401);
  });

  it('answers invalid_grant once the refresh token is revoked', async () => {
    const api = calendarApi();
    await api.events.list({ calendarId: ALICE });
    sim.revokeRefreshToken(CLIENT.refreshToken);
    const revoked = await failure(calendarApi().events.list({ calendarId: ALICE }));
    expect(revoked.status).toBe(400);
    expect(revoked.data).toEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
  });

  it('grants service-account JWTs for delegated users only', async () => {
    const key = sim.createServiceAccountKey('meetsync@meetsync-sim.iam.gserviceaccount.com');
    expect(key).toMatchObject({ type: 'service_account', token_uri: sim.tokenUrl, client_email: 'meetsync@meetsync-sim.iam.gserviceaccount.com' });
    const jwtFor = (subject: string, privateKey = key.private_key) => {
      const jwt = new google.auth.JWT({ email: key.client_email, key: privateKey, scopes: [CALENDAR_SCOPE], subject });
      // gtoken posts to the hard-coded https://oauth2.googleapis.com/token through the client's
      // transporter (gaxios 7: interceptors.request is a Set; cfg.url is a URL).
      jwt.transporter.interceptors.request.add({
        resolved: async (cfg) => {
          if (String(cfg.url) === 'https://oauth2.googleapis.com/token') cfg.url = new URL(sim.tokenUrl);
          return cfg;
        },
      });
      return google.calendar({ version: 'v3', auth: jwt, rootUrl: sim.rootUrl });
    };
    sim.userInsert(ALICE, single('delegated', 2));
    const asAlice = jwtFor(ALICE);
    expect((await asAlice.events.list({ calendarId: ALICE })).data.items).toHaveLength(1);
    expect((await asAlice.events.list({ calendarId: 'primary' })).data.items).toHaveLength(1);
    const other = await failure(asAlice.events.list({ calendarId: BOB }));
    expect(other.status).toBe(404);
    expect(other.data.error.errors[0].reason).toBe('notFound');

    sim.denyDelegation(key.client_email, BOB);
    const denied = await failure(jwtFor(BOB).events.list({ calendarId: BOB }));
    expect(denied.status).toBe(401);
    expect(denied.data.error).toBe('unauthorized_client');

    const forged = sim.createServiceAccountKey('someone-else@meetsync-sim.iam.gserviceaccount.com');
    const badSignature = await failure(jwtFor(ALICE, forged.private_key).events.list({ calendarId: ALICE }));
    expect(badSignature.data).toEqual({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
  });
});

describe('faults and loud answers', () => {
  it('injects 403 rateLimitExceeded in the body shape of guides/errors', async () => {
    const api = calendarApi();
    sim.injectRateLimit(1);
    const limited = await failure(api.events.list({ calendarId: ALICE }));
    expect(limited.status).toBe(403);
    expect(limited.data).toEqual({
      error: { errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }], code: 403, message: 'Rate Limit Exceeded' },
    });
    expect((await api.events.list({ calendarId: ALICE })).status).toBe(200);

    const ev = sim.userInsert(ALICE, single('x', 2));
    sim.injectRateLimit(1, { status: 429, retryAfterSeconds: 7, method: 'PATCH' });
    const throttled = await failure(api.events.patch({ calendarId: ALICE, eventId: ev.id, requestBody: { summary: 'y' } }));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.data.error.code).toBe(429);
    expect(sim.getEvent(ALICE, ev.id)!.summary).toBe('x');
  });

  it('names an unknown path in a 404', async () => {
    const res = await fetch(`${sim.url}/calendar/v3/users/me/calendarList`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.message).toContain('GET /calendar/v3/users/me/calendarList');
  });

  it('serves the control endpoints for another process', async () => {
    const post = (path: string, body: unknown, method = 'POST') =>
      fetch(`${sim.url}/_sim/${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('calendars/carol%40example.com', { timeZone: 'Europe/Berlin' })).status).toBe(201);
    const created = (await (await post('calendars/carol%40example.com/events', single('ctl', 2))).json()) as GoogleEvent;
    expect(created.organizer).toEqual({ email: 'carol@example.com', self: true });
    expect((await post(`calendars/carol%40example.com/events/${created.id}`, { summary: 'ctl2' }, 'PATCH')).status).toBe(200);
    expect((await fetch(`${sim.url}/_sim/calendars/carol%40example.com/events/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    const listed = (await (await fetch(`${sim.url}/_sim/calendars/carol%40example.com/events`)).json()) as GoogleEvent[];
    expect(listed).toEqual([expect.objectContaining({ id: created.id, summary: 'ctl2', status: 'cancelled' })]);
    expect((await post('oauth-clients', { clientId: 'c2', clientSecret: 's2', refreshToken: 'r2' })).status).toBe(204);
    const key = (await (await post('service-accounts', { clientEmail: 'sa@p.iam.gserviceaccount.com' })).json()) as any;
    expect(key).toMatchObject({ type: 'service_account', client_email: 'sa@p.iam.gserviceaccount.com', token_uri: sim.tokenUrl });
    expect(key.private_key).toContain('BEGIN PRIVATE KEY');
    expect((await post('nonsense', {})).status).toBe(404);
  });
});

describe('responses conform to the discovery document (calendar.v3.json)', () => {
  const discovery = fixture('calendar.v3.json');
  type Schema = { $ref?: string; type?: string; properties?: Record<string, Schema>; additionalProperties?: Schema; items?: Schema };

  /** Every field must exist in the schema (nested $refs resolved) with a compatible JSON type. */
  function violations(value: unknown, schema: Schema, path: string, out: string[] = []): string[] {
    const resolved: Schema = schema.$ref ? discovery.schemas[schema.$ref] : schema;
    switch (resolved.type) {
      case 'object':
        if (typeof value !== 'object' || value === null || Array.isArray(value)) out.push(`${path}: expected object`);
        else
          for (const [k, v] of Object.entries(value)) {
            const sub = resolved.properties?.[k] ?? resolved.additionalProperties;
            if (!sub) out.push(`${path}.${k}: not in the schema`);
            else violations(v, sub, `${path}.${k}`, out);
          }
        break;
      case 'array':
        if (!Array.isArray(value)) out.push(`${path}: expected array`);
        else value.forEach((v, i) => violations(v, resolved.items!, `${path}[${i}]`, out));
        break;
      case 'string':
        if (typeof value !== 'string') out.push(`${path}: expected string`);
        break;
      case 'integer':
        if (!Number.isInteger(value)) out.push(`${path}: expected integer`);
        break;
      case 'boolean':
        if (typeof value !== 'boolean') out.push(`${path}: expected boolean`);
        break;
      case 'any':
        break;
      default:
        out.push(`${path}: schema type ${resolved.type} unknown to this check`);
    }
    return out;
  }
  const EVENTS: Schema = { $ref: 'Events' };
  const EVENT: Schema = { $ref: 'Event' };

  it('accepts captured Google pages and rejects a made-up field (the check itself)', () => {
    for (const name of ['compass-recurring-create.json', 'compass-recurring-delete-single.json', 'compass-recurring-edit-single-instance-3.json']) {
      expect(violations(fixture(name), EVENTS, name)).toEqual([]);
    }
    expect(violations({ kind: 'calendar#event', id: 'x', organiser: {}, sequence: '1' }, EVENT, 'made-up')).toEqual([
      'made-up.organiser: not in the schema',
      'made-up.sequence: expected integer',
    ]);
  });

  it('finds no unknown field or wrong type in any events or event response', async () => {
    const api = calendarApi();
    const bodies: Array<[string, unknown, Schema]> = [];
    const first = await fullSync(api, ALICE);
    const inserted = await api.events.insert({
      calendarId: ALICE,
      requestBody: single('full', 2, {
        description: 'd', location: 'l', attendees: [{ email: ALICE }, { email: BOB, optional: true }],
        extendedProperties: { private: { a: '1' }, shared: { b: '2' } }, reminders: { useDefault: false, overrides: [{ method: 'popup', minutes: 5 }] },
        transparency: 'opaque', visibility: 'default', colorId: '3',
      }),
    });
    bodies.push(['insert', inserted.data, EVENT]);
    bodies.push(['patch', (await api.events.patch({ calendarId: ALICE, eventId: inserted.data.id!, requestBody: { summary: 'p' } })).data, EVENT]);
    bodies.push(['update', (await api.events.update({ calendarId: ALICE, eventId: inserted.data.id!, requestBody: single('u', 3) })).data, EVENT]);
    const allDay = sim.userInsert(ALICE, { summary: 'all day', start: { date: '2026-03-04' }, end: { date: '2026-03-05' } });
    const master = sim.userInsert(ALICE, breakfastSeries());
    sim.userCancelOccurrence(ALICE, master.id, '2025-03-25T13:00:00Z');
    sim.userEditOccurrence(ALICE, master.id, '2025-03-26T13:00:00Z', { summary: 'e' });
    sim.userDelete(ALICE, allDay.id);
    bodies.push(['get', (await api.events.get({ calendarId: ALICE, eventId: allDay.id })).data, EVENT]);
    bodies.push(['get instance', (await api.events.get({ calendarId: ALICE, eventId: `${master.id}_20250327T130000Z` })).data, EVENT]);
    for (const [i, page] of (await fullSync(api, ALICE, { maxResults: 2 })).pages.entries()) bodies.push([`full page ${i}`, page, EVENTS]);
    for (const page of (await fullSync(api, ALICE, { showDeleted: true, singleEvents: true, timeMin: '2025-03-20T00:00:00Z', timeMax: '2025-03-30T00:00:00Z' })).pages) {
      bodies.push(['singleEvents page', page, EVENTS]);
    }
    for (const page of (await fullSync(api, ALICE, { syncToken: first.syncToken! })).pages) bodies.push(['incremental page', page, EVENTS]);
    for (const page of (await fullSync(api, BOB)).pages) bodies.push(['attendee page', page, EVENTS]);

    const problems = bodies.flatMap(([label, body, schema]) => violations(body, schema, label));
    expect(problems).toEqual([]);
    expect(bodies.length).toBeGreaterThan(8);
  });
});
