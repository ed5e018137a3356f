import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FULL_READ_REASON_410, GoogleSource, type GoogleSourceConfig } from '../../src/calendars/google/source.js';
import { BLOCK_START } from '../../src/domain/join-block.js';
import { CalendarAuthError, CalendarError } from '../../src/domain/errors.js';
import { GoogleCalendarSimulator } from '../../src/simulators/google/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { describeCalendarSourceContract, type Harness } from '../support/source-contract.js';

const ORGANIZER = 'alice@example.test';
const ATTENDEE = 'bob@example.test';
const SERVICE_ACCOUNT = 'meetsync@meetsync-test.iam.gserviceaccount.com';
const OAUTH = { clientId: 'client-123.apps.googleusercontent.com', clientSecret: 'GOCSPX-sim-client-secret', refreshToken: '1//sim-refresh-token-abcdef' };
const window = { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 60 * 86_400_000) };
const details = { meetingId: 'mtg-1', meetingNumber: '111 222 333', joinUrl: 'https://meet.example.test/j/111222333' };

interface GoogleSetup {
  sim: GoogleCalendarSimulator;
  source: GoogleSource;
  keyDir: string;
  close(): Promise<void>;
}

async function setUp(
  auth: 'oauth' | 'serviceAccount',
  overrides: Partial<GoogleSourceConfig> = {},
  simOptions: ConstructorParameters<typeof GoogleCalendarSimulator>[0] = {},
): Promise<GoogleSetup> {
  const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
  const sim = new GoogleCalendarSimulator({ tls, oauthClients: [OAUTH], ...simOptions });
  await sim.start();
  sim.addCalendar(ORGANIZER, { timeZone: 'Europe/Berlin' });
  sim.addCalendar(ATTENDEE, { timeZone: 'America/Chicago' });
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-google-key-'));
  let authConfig: GoogleSourceConfig['auth'] = { type: 'oauth', ...OAUTH };
  if (auth === 'serviceAccount') {
    const keyFile = path.join(keyDir, 'key.json');
    writeFileSync(keyFile, JSON.stringify(sim.createServiceAccountKey(SERVICE_ACCOUNT)), { mode: 0o600 });
    authConfig = { type: 'serviceAccount', keyFile };
  }
  const source = new GoogleSource({
    name: 'corp-google',
    calendars: [ORGANIZER, ATTENDEE],
    auth: authConfig,
    rootUrl: sim.rootUrl,
    tokenUrl: sim.tokenUrl,
    configPath: 'sources[0]',
    retry: { maxAttempts: 4, baseDelayMs: 2, maxDelayMs: 10 },
    ...overrides,
  });
  return {
    sim,
    source,
    keyDir,
    async close() {
      await sim.stop();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

function harnessOf(setup: GoogleSetup): Harness {
  const { sim, source } = setup;
  return {
    source,
    calendarId: ORGANIZER,
    attendeeCalendarId: ATTENDEE,
    async createEvent(input) {
      const zone = input.timeZone ? { timeZone: input.timeZone } : {};
      const event = sim.userInsert(ORGANIZER, {
        summary: input.title,
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.location !== undefined ? { location: input.location } : {}),
        start: { dateTime: input.start, ...zone },
        end: { dateTime: input.end, ...zone },
        ...(input.attendees ? { attendees: input.attendees.map((email) => ({ email })) } : {}),
        ...(input.recurrence ? { recurrence: input.recurrence } : {}),
      });
      return event.id;
    },
    async updateEvent(eventId, patch) {
      sim.userPatch(ORGANIZER, eventId, {
        ...(patch.title !== undefined ? { summary: patch.title } : {}),
        ...(patch.start !== undefined ? { start: { dateTime: patch.start } } : {}),
        ...(patch.end !== undefined ? { end: { dateTime: patch.end } } : {}),
      });
    },
    async deleteEvent(eventId) {
      sim.userDelete(ORGANIZER, eventId);
    },
    async expireCursor() {
      sim.expireSyncTokens();
    },
    async rawEvent(eventId, calendarId = ORGANIZER) {
      const event = sim.getEvent(calendarId, eventId);
      return event ? { description: event.description ?? '', location: event.location ?? '' } : undefined;
    },
    countWrites: () => sim.server.received().filter((r) => r.path.includes('/events') && r.method !== 'GET').length,
    injectRateLimit: (count) => sim.injectRateLimit(count, { status: 403, reason: 'userRateLimitExceeded' }),
    attempts: () => sim.server.received(undefined, '/calendar/v3/').length,
    close: () => setup.close(),
  };
}

describeCalendarSourceContract('GoogleSource (OAuth) + Google simulator over https', async () => harnessOf(await setUp('oauth')));
describeCalendarSourceContract('GoogleSource (service account) + Google simulator over https', async () =>
  harnessOf(await setUp('serviceAccount')),
);

describe('GoogleSource against the Google simulator', () => {
  let current: GoogleSetup | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  async function start(...args: Parameters<typeof setUp>): Promise<GoogleSetup> {
    current = await setUp(...args);
    return current;
  }
  const listRequests = (sim: GoogleCalendarSimulator) => sim.server.received('GET').filter((r) => r.path.endsWith('/events'));

  it('follows every page of a read and takes the sync token from the last page only', async () => {
    const { sim, source } = await start('oauth', { pageSize: 2 });
    const ids = ['one', 'two', 'three', 'four', 'five'].map(
      (title, i) => sim.userInsert(ORGANIZER, { summary: title, start: { dateTime: `2030-01-0${i + 1}T09:00:00Z` }, end: { dateTime: `2030-01-0${i + 1}T10:00:00Z` } }).id,
    );

    const read = await source.readChanges(ORGANIZER, null, window);

    expect(read.events.map((e) => e.eventId).sort()).toEqual([...ids].sort());
    const requests = listRequests(sim);
    expect(requests).toHaveLength(3);
    expect(requests[0]!.query).toMatchObject({ singleEvents: 'false', maxResults: '2', timeMin: window.from.toISOString() });
    expect(requests[0]!.query.pageToken).toBeUndefined();
    expect(requests[2]!.query.pageToken).toBeDefined();
    // The cursor works: an incremental read right after it finds nothing.
    expect((await source.readChanges(ORGANIZER, read.cursor, window)).events).toEqual([]);
  });

  it('sends an incremental read with the sync token and none of the parameters Google refuses with it', async () => {
    const { sim, source } = await start('oauth');
    const first = await source.readChanges(ORGANIZER, null, window);
    await source.readChanges(ORGANIZER, first.cursor, window);

    const query = listRequests(sim)[1]!.query;
    expect(query.syncToken).toBe(first.cursor);
    for (const forbidden of ['timeMin', 'timeMax', 'q', 'updatedMin', 'orderBy', 'iCalUID', 'showDeleted']) {
      expect(query[forbidden], forbidden).toBeUndefined();
    }
    expect(query.singleEvents).toBe('false');
  });

  it('reads fully after a 410 and says why', async () => {
    const { sim, source } = await start('oauth');
    const id = sim.userInsert(ORGANIZER, { summary: 'kept', start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' } }).id;
    const first = await source.readChanges(ORGANIZER, null, window);
    sim.injectGone(1);

    const read = await source.readChanges(ORGANIZER, first.cursor, window);

    expect(read).toMatchObject({ full: true, fullReason: FULL_READ_REASON_410 });
    expect(read.events.map((e) => e.eventId)).toEqual([id]);
    expect(listRequests(sim).at(-1)!.query.syncToken).toBeUndefined();
  });

  it('waits as long as Retry-After asks on a 429, and counts the retry', async () => {
    const { sim, source } = await start('oauth');
    sim.injectRateLimit(1, { status: 429, retryAfterSeconds: 1 });
    const started = Date.now();

    await source.readChanges(ORGANIZER, null, window);

    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(listRequests(sim)).toHaveLength(2);
    expect(source.stats).toMatchObject({ requests: 2, retries: 1 });
  });

  it('gives up after maxAttempts on server errors with a CalendarError that carries the status', async () => {
    const { sim, source } = await start('oauth', { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    sim.injectServerError(10, 503);

    const error = await source.readChanges(ORGANIZER, null, window).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CalendarError);
    expect(error).toMatchObject({ status: 503, calendarId: ORGANIZER, source: 'corp-google' });
    expect((error as Error).message).toMatch(/after 3 attempts/);
    expect(listRequests(sim)).toHaveLength(3);
  });

  it('does not retry a 403 that is not a rate limit', async () => {
    const { sim, source } = await start('oauth');
    sim.injectRateLimit(5, { status: 403, reason: 'quotaExceeded' });

    await expect(source.readChanges(ORGANIZER, null, window)).rejects.toMatchObject({ status: 403 });
    expect(listRequests(sim)).toHaveLength(1);
  });

  it('retries a timed-out request', async () => {
    const { sim, source } = await start('oauth', { requestTimeoutMs: 200 });
    sim.injectSlow(1000, 1);

    await expect(source.readChanges(ORGANIZER, null, window)).resolves.toMatchObject({ full: true });
    expect(source.stats.retries).toBe(1);
  });

  it('writes back with one PATCH carrying If-Match, sendUpdates=externalOnly by default and only the changed fields', async () => {
    const { sim, source } = await start('oauth');
    const created = sim.userInsert(ORGANIZER, {
      summary: 'Board', location: '', start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' },
      extendedProperties: { private: { other: 'kept' } },
    });

    const result = await source.writeJoinDetails(ORGANIZER, created.id, details);

    const patches = sim.server.received('PATCH');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.headers['if-match']).toBe(created.etag);
    expect(patches[0]!.query.sendUpdates).toBe('externalOnly');
    expect(Object.keys(JSON.parse(patches[0]!.body) as object).sort()).toEqual(['description', 'extendedProperties', 'location']);
    const stored = sim.getEvent(ORGANIZER, created.id)!;
    expect(result).toEqual({ changed: true, etag: stored.etag });
    expect(stored.extendedProperties?.private).toEqual({ other: 'kept', meetsyncMeetingId: 'mtg-1', meetsyncMeetingNumber: '111 222 333' });
    expect(stored.summary).toBe('Board');
  });

  for (const sendUpdates of ['all', 'externalOnly', 'none'] as const) {
    it(`sends sendUpdates=${sendUpdates} on the write and the clear when the source says so, and Google takes it`, async () => {
      const { sim, source } = await start('oauth', { sendUpdates });
      const created = sim.userInsert(ORGANIZER, {
        summary: 'Board', attendees: [{ email: 'guest@elsewhere.test' }], start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' },
      });

      await source.writeJoinDetails(ORGANIZER, created.id, details);
      await source.clearJoinDetails(ORGANIZER, created.id);

      expect(sim.guestNotices()).toEqual([
        { method: 'PATCH', calendarId: ORGANIZER, eventId: created.id, sendUpdates },
        { method: 'PATCH', calendarId: ORGANIZER, eventId: created.id, sendUpdates },
      ]);
    });
  }

  it('marks focus time, out of office, working location, birthday and Gmail events as unable to carry a link, and never patches one', async () => {
    const { sim, source } = await start('oauth');
    const times = { start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' } };
    const restricted = ['focusTime', 'outOfOffice', 'workingLocation', 'birthday', 'fromGmail'];
    for (const eventType of restricted) sim.userInsert(ORGANIZER, { summary: `${eventType} #webmeeting`, eventType, ...times });
    const plain = sim.userInsert(ORGANIZER, { summary: 'plain #webmeeting', ...times });

    const { events } = await source.readChanges(ORGANIZER, null, window);

    const byTitle = new Map(events.map((e) => [e.title, e]));
    expect(byTitle.get('plain #webmeeting')!.writeRestriction).toBeUndefined();
    for (const eventType of restricted) {
      const event = byTitle.get(`${eventType} #webmeeting`)!;
      expect(event.writeRestriction).toContain(`Google event type ${eventType} (`);
      await expect(source.writeJoinDetails(ORGANIZER, event.eventId, details)).rejects.toThrow(/refusing to write join details .*cannot carry a join link/);
      await expect(source.clearJoinDetails(ORGANIZER, event.eventId)).resolves.toEqual({ changed: false });
    }
    expect(sim.server.received('PATCH')).toHaveLength(0);
    await source.writeJoinDetails(ORGANIZER, plain.id, details);
    expect(sim.server.received('PATCH')).toHaveLength(1);
  });

  it('re-reads and re-applies when the organizer edits the event between our read and our write (412)', async () => {
    let sim!: GoogleCalendarSimulator;
    let eventId = '';
    let edited = false;
    const setup = await start('oauth', {}, {
      onResponded: (req) => {
        if (!edited && req.method === 'GET' && req.path.endsWith(`/events/${eventId}`)) {
          edited = true;
          sim.userPatch(ORGANIZER, eventId, { description: 'Edited meanwhile' });
        }
      },
    });
    sim = setup.sim;
    eventId = sim.userInsert(ORGANIZER, { summary: 'Race', start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' } }).id;

    const result = await setup.source.writeJoinDetails(ORGANIZER, eventId, details);

    expect(result.changed).toBe(true);
    expect(sim.server.received('PATCH')).toHaveLength(2);
    const description = sim.getEvent(ORGANIZER, eventId)!.description!;
    expect(description.startsWith('Edited meanwhile\n\n')).toBe(true);
    expect(description.split(BLOCK_START)).toHaveLength(2);
  });

  it('writes back right after a read with one PATCH and no GET: If-Match carries the etag the read returned', async () => {
    const { sim, source } = await start('oauth');
    const created = sim.userInsert(ORGANIZER, { summary: 'Fresh', start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' } });
    const read = (await source.readChanges(ORGANIZER, null, window)).events.find((e) => e.eventId === created.id)!;
    const eventGets = () => sim.server.received('GET').filter((r) => r.path.endsWith(`/events/${created.id}`)).length;

    const result = await source.writeJoinDetails(ORGANIZER, created.id, details);

    expect(eventGets()).toBe(0);
    const patches = sim.server.received('PATCH');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.headers['if-match']).toBe(read.etag);
    const stored = sim.getEvent(ORGANIZER, created.id)!;
    expect(result).toEqual({ changed: true, etag: stored.etag });
    expect(stored.description!.split(BLOCK_START)).toHaveLength(2);
    expect(stored.extendedProperties?.private).toMatchObject({ meetsyncMeetingId: 'mtg-1' });
    // The read's copy serves one write-back: a later one (new details, no read between) reads the event first.
    await source.writeJoinDetails(ORGANIZER, created.id, { ...details, meetingId: 'mtg-2' });
    expect(eventGets()).toBe(1);
    expect(sim.server.received('PATCH')).toHaveLength(2);
  });

  it('keeps copies only of the events the engine may write into (keepCopy): another event is read before its write-back', async () => {
    const { sim, source } = await start('oauth');
    const slot = { start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' } };
    const tagged = sim.userInsert(ORGANIZER, { summary: 'Kept #webmeeting', ...slot }).id;
    const plain = sim.userInsert(ORGANIZER, { summary: 'Not kept', ...slot }).id;
    await source.readChanges(ORGANIZER, null, window, { holdsMeeting: () => false, keepCopy: (e) => e.title.includes('#webmeeting') });
    const gets = (id: string) => sim.server.received('GET').filter((r) => r.path.endsWith(`/events/${id}`)).length;

    await source.writeJoinDetails(ORGANIZER, tagged, details);
    await source.writeJoinDetails(ORGANIZER, plain, details);

    expect(gets(tagged)).toBe(0);
    expect(gets(plain)).toBe(1);
  });

  it('keeps an edit made between the read and the write-back: the PATCH from the read gets 412, the event is read again and written on top', async () => {
    const statuses: number[] = [];
    const { sim, source } = await start('oauth', {}, { onResponded: (req, status) => void (req.method === 'PATCH' && statuses.push(status)) });
    const created = sim.userInsert(ORGANIZER, { summary: 'Race', location: '', start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' } });
    await source.readChanges(ORGANIZER, null, window);
    sim.userPatch(ORGANIZER, created.id, { description: 'Edited after the read', location: 'Room 4' });

    const result = await source.writeJoinDetails(ORGANIZER, created.id, details);

    expect(result.changed).toBe(true);
    expect(statuses).toEqual([412, 200]);
    expect(sim.server.received('GET').filter((r) => r.path.endsWith(`/events/${created.id}`))).toHaveLength(1);
    const stored = sim.getEvent(ORGANIZER, created.id)!;
    expect(stored.description!.startsWith('Edited after the read\n\n')).toBe(true);
    expect(stored.description!.split(BLOCK_START)).toHaveLength(2);
    expect(stored.location).toBe('Room 4');
  });

  it('clears with one PATCH carrying If-Match, sendUpdates=externalOnly by default, only the changed fields and null for our private keys', async () => {
    const { sim, source } = await start('oauth');
    const created = sim.userInsert(ORGANIZER, {
      summary: 'Board', description: 'Agenda: budget', start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' },
      extendedProperties: { private: { other: 'kept' } },
    });
    await source.writeJoinDetails(ORGANIZER, created.id, details);
    const written = sim.getEvent(ORGANIZER, created.id)!;

    const result = await source.clearJoinDetails(ORGANIZER, created.id);

    const patches = sim.server.received('PATCH');
    expect(patches).toHaveLength(2);
    const clear = patches[1]!;
    expect(clear.headers['if-match']).toBe(written.etag);
    expect(clear.query.sendUpdates).toBe('externalOnly');
    // guides/extended-properties, "Delete properties": a patch sets the key to null; other keys stay.
    expect(JSON.parse(clear.body)).toEqual({
      description: 'Agenda: budget',
      location: '',
      extendedProperties: { private: { meetsyncMeetingId: null, meetsyncMeetingNumber: null } },
    });
    const stored = sim.getEvent(ORGANIZER, created.id)!;
    expect(result).toEqual({ changed: true, etag: stored.etag });
    expect(stored.extendedProperties?.private).toEqual({ other: 'kept' });
    expect(stored.summary).toBe('Board');
  });

  it('re-reads and re-applies a clear when the organizer edits the event between our read and our write (412)', async () => {
    let sim!: GoogleCalendarSimulator;
    let eventId = '';
    let armed = false;
    const setup = await start('oauth', {}, {
      onResponded: (req) => {
        if (armed && req.method === 'GET' && req.path.endsWith(`/events/${eventId}`)) {
          armed = false;
          sim.userPatch(ORGANIZER, eventId, { summary: 'Renamed meanwhile' });
        }
      },
    });
    sim = setup.sim;
    eventId = sim.userInsert(ORGANIZER, { summary: 'Race', start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' } }).id;
    await setup.source.writeJoinDetails(ORGANIZER, eventId, details);
    armed = true;

    const result = await setup.source.clearJoinDetails(ORGANIZER, eventId);

    expect(result.changed).toBe(true);
    expect(sim.server.received('PATCH')).toHaveLength(3);
    const stored = sim.getEvent(ORGANIZER, eventId)!;
    expect(stored).toMatchObject({ summary: 'Renamed meanwhile', description: '', location: '' });
    expect(stored.extendedProperties?.private ?? {}).toEqual({});
  });

  it('retries a PATCH on a 503, which googleapis alone would not', async () => {
    const { sim, source } = await start('oauth');
    const id = sim.userInsert(ORGANIZER, { summary: 'Flaky', start: { dateTime: '2030-01-01T09:00:00Z' }, end: { dateTime: '2030-01-01T10:00:00Z' } }).id;
    sim.server.inject({ kind: 'status', status: 503, method: 'PATCH', pathIncludes: '/calendar/v3/' });

    await expect(source.writeJoinDetails(ORGANIZER, id, details)).resolves.toMatchObject({ changed: true });
    expect(sim.server.received('PATCH')).toHaveLength(2);
  });

  it.each(['oauth', 'serviceAccount'] as const)('refreshes the access token exactly once on a 401 (%s)', async (auth) => {
    const { sim, source } = await start(auth);
    await source.readChanges(ORGANIZER, null, window);
    const tokensBefore = sim.server.received('POST', '/token').length;
    sim.expireAccessTokens();

    await source.readChanges(ORGANIZER, null, window);

    expect(sim.server.received('POST', '/token').length - tokensBefore).toBe(1);
    expect(source.stats.tokenRefreshes).toBe(1);
  });

  it('retries a token endpoint outage with the same backoff', async () => {
    const { sim, source } = await start('serviceAccount');
    sim.server.inject({ kind: 'status', status: 503, method: 'POST', pathIncludes: '/token', body: { error: 'temporarily_unavailable' } });

    await expect(source.readChanges(ORGANIZER, null, window)).resolves.toMatchObject({ full: true });
    expect(sim.server.received('POST', '/token')).toHaveLength(2);
    expect(source.stats.retries).toBe(1);
  });

  it.each(['oauth', 'serviceAccount'] as const)('retries a token answer cut short, and says so in plain words when it stays cut (%s)', async (auth) => {
    const { sim, source } = await start(auth);
    sim.server.inject({ kind: 'malformed', method: 'POST', pathIncludes: '/token' });

    await expect(source.readChanges(ORGANIZER, null, window)).resolves.toMatchObject({ full: true });
    expect(sim.server.received('POST', '/token')).toHaveLength(2);
    expect(source.stats.retries).toBe(1);

    sim.expireAccessTokens();
    sim.server.inject({ kind: 'malformed', method: 'POST', pathIncludes: '/token', count: 100 });
    const error = await source.readChanges(ATTENDEE, null, window).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CalendarError);
    expect((error as Error).message).toMatch(/Google token endpoint .* answered HTTP 200 with a body that is not a JSON object/);
    expect((error as Error).message).not.toMatch(/refresh_token|TypeError|access_token/);
  });

  it('turns a revoked refresh token into a CalendarAuthError that says what to do and hides the token', async () => {
    const { sim, source } = await start('oauth');
    const first = await source.readChanges(ORGANIZER, null, window);
    sim.revokeRefreshToken(OAUTH.refreshToken);

    const error = await source.readChanges(ORGANIZER, first.cursor, window).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CalendarAuthError);
    expect(error).toMatchObject({ source: 'corp-google', calendarId: ORGANIZER });
    const message = (error as Error).message;
    expect(message).toMatch(/invalid_grant/);
    expect(message).toMatch(/sources\[0\]\.auth\.refreshToken/);
    expect(message).not.toContain(OAUTH.refreshToken);
    expect(message).not.toContain(OAUTH.clientSecret);
    // The first token, then exactly one refresh attempt after the 401; no retry loop on a dead token.
    expect(sim.server.received('POST', '/token')).toHaveLength(2);
  });

  it('sends service-account token requests to the configured token URL, one calendar failing alone', async () => {
    const { sim, source } = await start('serviceAccount');
    sim.denyDelegation(SERVICE_ACCOUNT, ATTENDEE);

    const error = await source.readChanges(ATTENDEE, null, window).catch((e: unknown) => e);
    const ok = await source.readChanges(ORGANIZER, null, window);

    expect(error).toBeInstanceOf(CalendarAuthError);
    expect(error).toMatchObject({ calendarId: ATTENDEE });
    expect((error as Error).message).toMatch(/unauthorized_client.*domain-wide delegation/s);
    expect(ok.full).toBe(true);
    // One JWT grant per impersonated calendar, both at the simulator rather than Google.
    expect(sim.server.received('POST', '/token')).toHaveLength(2);
  });

  it('names the missing field of a malformed answer instead of crashing', async () => {
    const { sim, source } = await start('oauth');
    sim.server.inject({ kind: 'status', status: 200, pathIncludes: '/events', body: { items: [{ summary: 'no id' }], nextSyncToken: 't' } });

    const error = await source.readChanges(ORGANIZER, null, window).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CalendarError);
    expect((error as Error).message).toContain('items[0].id');
  });

  it('maps all-day events to midnight in the calendar zone, and occurrences to their series', async () => {
    const { sim, source } = await start('oauth');
    const allDay = sim.userInsert(ORGANIZER, { summary: 'Offsite', start: { date: '2030-07-01' }, end: { date: '2030-07-02' } }).id;
    const series = sim.userInsert(ORGANIZER, {
      summary: 'Weekly', recurrence: ['RRULE:FREQ=WEEKLY'],
      start: { dateTime: '2030-03-25T10:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2030-03-25T11:00:00', timeZone: 'Europe/Berlin' },
    }).id;
    const first = await source.readChanges(ORGANIZER, null, window);
    sim.userEditOccurrence(ORGANIZER, series, '2030-04-01T08:00:00Z', { summary: 'Weekly (moved)' });

    const second = await source.readChanges(ORGANIZER, first.cursor, window);

    expect(first.events.find((e) => e.eventId === allDay)).toMatchObject({
      allDay: true, start: '2030-06-30T22:00:00.000Z', end: '2030-07-01T22:00:00.000Z', timeZone: 'Europe/Berlin',
    });
    expect(first.events.find((e) => e.eventId === series)).toMatchObject({ kind: 'series', start: '2030-03-25T09:00:00.000Z' });
    const occurrence = second.events.find((e) => e.seriesId === series);
    expect(occurrence).toMatchObject({ kind: 'occurrence', title: 'Weekly (moved)', originalStart: '2030-04-01T08:00:00.000Z' });
  });
});
