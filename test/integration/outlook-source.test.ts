import dc from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_START } from '../../src/domain/join-block.js';
import { FULL_READ_REASON_EXPIRED, OutlookSource, type OutlookSourceConfig } from '../../src/calendars/outlook/source.js';
import { STAMP_PROPERTY_ID } from '../../src/calendars/outlook/event.js';
import { CalendarAuthError, CalendarError } from '../../src/domain/errors.js';
import { GraphSimulator, type GraphSimulatorOptions } from '../../src/simulators/graph/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { describeCalendarSourceContract, type Harness } from '../support/source-contract.js';

/**
 * The Outlook adapter against the Graph simulator: the real @azure/msal-node asks the
 * simulator's identity endpoints for a token and the real @microsoft/microsoft-graph-client
 * carries it to the simulator's Graph v1.0, both over https with the run's CA. Neither side
 * imports the other (STYLE.md habit 7); this file is where they meet.
 */

const ORGANIZER = 'alice@contoso.test';
const ATTENDEE = 'bob@contoso.test';
const CLIENT = { tenantId: '6f1b2c3d-0000-4a5b-8c9d-0123456789ab', clientId: 'b7c8d9e0-1111-4f2a-9b3c-abcdefabcdef', clientSecret: 'sim~outlook~secret' };

export interface OutlookSetup {
  sim: GraphSimulator;
  source: OutlookSource;
  close(): Promise<void>;
}

export async function setUp(
  overrides: Partial<OutlookSourceConfig> = {},
  simOptions: Partial<GraphSimulatorOptions> = {},
): Promise<OutlookSetup> {
  const tls = loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!);
  const sim = new GraphSimulator({ tls, clients: [CLIENT], mailboxes: [ORGANIZER, ATTENDEE], ...simOptions });
  await sim.start();
  const source = new OutlookSource({
    name: 'corp-m365',
    mailboxes: [ORGANIZER, ATTENDEE],
    auth: CLIENT,
    // The adapter takes origins (it appends /v1.0 itself, as the Graph client does); the
    // simulator serves the identity platform and Graph on one origin.
    graphBaseUrl: sim.url,
    authorityHost: sim.url,
    configPath: 'sources[1]',
    retry: { maxAttempts: 4, baseDelayMs: 2, maxDelayMs: 10 },
    ...overrides,
  });
  return { sim, source, close: () => sim.stop() };
}

/** A UTC instant as the wall clock of `zone`, the way Outlook writes dateTimeTimeZone. */
export function wallClock(iso: string, zone: string): { dateTime: string; timeZone: string } {
  const dt = DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone === 'UTC' ? 'utc' : zone);
  return { dateTime: dt.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: zone };
}

/**
 * The text a person reads in an HTML body, for the contract's provider-neutral `description`:
 * head and comments dropped, a line break at <br> and at block boundaries (consecutive block
 * boundaries make one break, as a browser lays them out), entities decoded.
 */
export function readableText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<head[\s\S]*?<\/head>/gi, '')
    .replace(/\s+/g, ' ')
    .replace(/<br\s*\/?>/gi, '\u0001')
    .replace(/<\/?(?:div|p|ul|ol|li|table|tr|h\d|blockquote|html|body)\b[^>]*>/gi, '\u0002')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
  return text
    .replace(/\s*\u0002[\s\u0002]*/g, '\u0002')
    .split(/\u0001/)
    .map((part) => part.replace(/^\u0002|\u0002$/g, '').replace(/\u0002/g, '\n'))
    .join('\n')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();
}

function harnessOf(setup: OutlookSetup): Harness {
  const { sim, source } = setup;
  return {
    source,
    calendarId: ORGANIZER,
    attendeeCalendarId: ATTENDEE,
    async createEvent(input) {
      if (input.recurrence) throw new Error('the Outlook harness takes Graph recurrence, not RRULE: use sim.userInsert');
      const zone = input.timeZone ?? 'UTC';
      const event = sim.userInsert(ORGANIZER, {
        subject: input.title,
        ...(input.description !== undefined ? { body: { contentType: 'text', content: input.description } } : {}),
        ...(input.location !== undefined ? { location: { displayName: input.location } } : {}),
        start: wallClock(input.start, zone),
        end: wallClock(input.end, zone),
        ...(input.attendees ? { attendees: input.attendees.map((address) => ({ emailAddress: { address } })) } : {}),
      });
      return event.id;
    },
    async updateEvent(eventId, patch) {
      sim.userPatch(ORGANIZER, eventId, {
        ...(patch.title !== undefined ? { subject: patch.title } : {}),
        ...(patch.start !== undefined ? { start: wallClock(patch.start, 'UTC') } : {}),
        ...(patch.end !== undefined ? { end: wallClock(patch.end, 'UTC') } : {}),
      });
    },
    async deleteEvent(eventId) {
      sim.userDelete(ORGANIZER, eventId);
    },
    async expireCursor() {
      sim.expireDeltaTokens();
    },
    async rawEvent(eventId, calendarId = ORGANIZER) {
      const event = sim.getEvent(calendarId, eventId);
      return event ? { description: readableText(event.body.content), location: event.location.displayName ?? '' } : undefined;
    },
    countWrites: () => sim.server.received().filter((r) => r.path.startsWith('/v1.0/') && r.method !== 'GET').length,
    injectRateLimit: (count) => sim.injectThrottle(count, { status: 429, retryAfterSeconds: 1 }),
    attempts: () => sim.server.received().filter((r) => r.path.startsWith('/v1.0/')).length,
    close: () => setup.close(),
  };
}

describeCalendarSourceContract('OutlookSource (msal-node + Graph client) + Graph simulator over https', async () => harnessOf(await setUp()));

const W = { from: new Date('2030-01-01T00:00:00Z'), to: new Date('2030-03-01T00:00:00Z') };
const details = { meetingId: 'mtg-outlook-1', meetingNumber: '111-222-333', joinUrl: 'https://meet.example.test/meeting/111-222-333' };
const utc = (day: string, hour: number) => ({ dateTime: `${day}T${String(hour).padStart(2, '0')}:00:00`, timeZone: 'UTC' });
const single = (subject: string, day = '2030-01-10', extra: Record<string, unknown> = {}) => ({ subject, start: utc(day, 9), end: utc(day, 10), ...extra });

/**
 * Every request this worker sends, by origin: msal's network client through fetch (undici's
 * channel), the Graph client's through node:https (outlook/https-handler.ts; node's channel).
 */
const origins: string[] = [];
const onFetch = (message: unknown) => origins.push((message as { request: { origin: string } }).request.origin);
const onHttps = (message: unknown) => {
  const request = (message as { request: { protocol: string; getHeader(name: string): unknown } }).request;
  origins.push(`${request.protocol}//${String(request.getHeader('host'))}`);
};
beforeAll(() => {
  dc.subscribe('undici:request:create', onFetch);
  dc.subscribe('http.client.request.start', onHttps);
});
afterAll(() => {
  dc.unsubscribe('undici:request:create', onFetch);
  dc.unsubscribe('http.client.request.start', onHttps);
});

describe('OutlookSource against the Graph simulator', () => {
  let current: OutlookSetup | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  async function start(...args: Parameters<typeof setUp>): Promise<OutlookSetup> {
    current = await setUp(...args);
    return current;
  }
  const graphRequests = (sim: GraphSimulator, method?: string) => sim.server.received(method).filter((r) => r.path.startsWith('/v1.0/'));
  const eventGets = (sim: GraphSimulator) => graphRequests(sim, 'GET').filter((r) => r.path.includes('/events/'));

  it("sends the token to the simulator's non-Microsoft host, and nothing to any other host", async () => {
    origins.length = 0;
    const { sim, source } = await start();
    const id = sim.userInsert(ORGANIZER, single('Origin check', '2030-01-10', { categories: ['Web Meeting'] })).id;

    const read = await source.readChanges(ORGANIZER, null, W);
    await source.writeJoinDetails(ORGANIZER, id, details);

    expect(read.events.map((e) => e.eventId)).toEqual([id]);
    const simOrigin = new URL(sim.url).origin;
    expect(origins.length).toBeGreaterThan(0);
    expect([...new Set(origins)]).toEqual([simOrigin]);
    expect(origins.some((o) => /microsoft|windows\.net|office/i.test(o))).toBe(false);
    // msal asked the configured authority: discovery, then the token, once.
    const identity = sim.server.requests.filter((r) => !r.path.startsWith('/v1.0/')).map((r) => `${r.method} ${r.path}`);
    expect(identity).toEqual([`GET /${CLIENT.tenantId}/v2.0/.well-known/openid-configuration`, `POST /${CLIENT.tenantId}/oauth2/v2.0/token`]);
    expect(new URLSearchParams(sim.server.received('POST')[0]!.body).get('scope')).toBe('https://graph.microsoft.com/.default');
    expect(source.stats.authorityRequests).toBe(identity.length);
    // Every Graph call the adapter counted arrived here, each with the simulator's token.
    const graph = graphRequests(sim);
    expect(source.stats.requests).toBe(graph.length);
    for (const request of graph) expect(request.headers.authorization).toMatch(/^Bearer sim\./);
    expect(origins).toHaveLength(identity.length + graph.length);
  });

  it('makes exactly one Graph request, and none to the authority, for a quiet incremental read', async () => {
    const { sim, source } = await start();
    sim.userInsert(ORGANIZER, single('One'));
    sim.userInsert(ORGANIZER, single('Two', '2030-01-11'));
    const first = await source.readChanges(ORGANIZER, null, W);
    const before = { graph: graphRequests(sim).length, all: sim.server.requests.length, ...source.stats };

    const quiet = await source.readChanges(ORGANIZER, first.cursor, W);

    expect(quiet).toMatchObject({ full: false, events: [] });
    expect(graphRequests(sim).length - before.graph).toBe(1);
    expect(sim.server.requests.length - before.all).toBe(1);
    expect(source.stats.authorityRequests).toBe(before.authorityRequests);
    expect(graphRequests(sim).at(-1)!.headers.prefer).toBe('odata.maxpagesize=100, outlook.timezone="UTC", IdType="ImmutableId"');
  });

  it('completes stripped delta items with a GET and maps them like complete ones', async () => {
    const { sim, source } = await start();
    const a = sim.userInsert(ORGANIZER, single('Stripped one #webmeeting')).id;
    const b = sim.userInsert(ORGANIZER, single('Stripped two', '2030-01-11', { categories: ['Web Meeting'] })).id;
    sim.injectStrippedDelta(ORGANIZER, { all: true });

    const read = await source.readChanges(ORGANIZER, null, W);

    expect(read.events.map((e) => [e.eventId, e.title, e.isOrganizerCopy, e.categories]).sort()).toEqual([
      [a, 'Stripped one #webmeeting', true, []],
      [b, 'Stripped two', true, ['Web Meeting']],
    ].sort());
    expect(eventGets(sim).map((r) => decodeURIComponent(r.path.split('/').at(-1)!)).sort()).toEqual([a, b].sort());
    // The GET asks for the stamp with $expand, the only way Graph returns it.
    expect(eventGets(sim)[0]!.query.$expand).toBe(`singleValueExtendedProperties($filter=id eq '${STAMP_PROPERTY_ID}')`);
  });

  it('reads a replayed round (within it, and the previous round again) as one copy of each event, as it is now', async () => {
    const { sim, source } = await start();
    const a = sim.userInsert(ORGANIZER, single('Alpha')).id;
    const b = sim.userInsert(ORGANIZER, single('Beta', '2030-01-11')).id;
    sim.injectDeltaReplay(ORGANIZER, 'within-round');
    const first = await source.readChanges(ORGANIZER, null, W);
    expect(first.events.map((e) => e.eventId).sort()).toEqual([a, b].sort());

    sim.userPatch(ORGANIZER, b, { subject: 'Beta renamed' });
    sim.injectDeltaReplay(ORGANIZER, 'next-round');
    const second = await source.readChanges(ORGANIZER, first.cursor, W);

    const ids = second.events.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(b);
    expect(second.events.find((e) => e.eventId === b)!.title).toBe('Beta renamed');
    expect(second.events.find((e) => e.eventId === a)?.title ?? 'Alpha').toBe('Alpha');
    expect(second.events.every((e) => e.status === 'confirmed')).toBe(true);
  });

  it('does not cancel an event that only left the window: the @removed is looked up, and only a 404 cancels', async () => {
    const { sim, source } = await start();
    const moved = sim.userInsert(ORGANIZER, single('Moving #webmeeting')).id;
    const deleted = sim.userInsert(ORGANIZER, single('Deleted #webmeeting', '2030-01-12')).id;
    const first = await source.readChanges(ORGANIZER, null, W);
    sim.userPatch(ORGANIZER, moved, { start: utc('2031-06-02', 9), end: utc('2031-06-02', 10) });
    sim.userDelete(ORGANIZER, deleted);
    const getsBefore = eventGets(sim).length;

    const second = await source.readChanges(ORGANIZER, first.cursor, W);

    // Graph reports both the same way (event-delta.md: events outside the range come as
    // @removed); each is looked up.
    expect(eventGets(sim).length - getsBefore).toBe(2);
    expect(second.events.find((e) => e.eventId === moved)).toMatchObject({ status: 'confirmed', start: '2031-06-02T09:00:00.000Z', title: 'Moving #webmeeting' });
    expect(second.events.find((e) => e.eventId === deleted)).toMatchObject({ status: 'cancelled' });
    expect(await source.getEvent(ORGANIZER, moved)).not.toBeNull();
    expect(await source.getEvent(ORGANIZER, deleted)).toBeNull();
  });

  it('emits a series once (its master, with the rule), an edited occurrence as an exception of it, and a deleted series as cancelled', async () => {
    const { sim, source } = await start();
    const series = sim.userInsert(ORGANIZER, {
      subject: 'Weekly #webmeeting',
      start: { dateTime: '2030-01-07T09:00:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2030-01-07T09:30:00', timeZone: 'W. Europe Standard Time' },
      recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] }, range: { type: 'endDate', startDate: '2030-01-07', endDate: '2030-02-25' } },
    }).id;
    const first = await source.readChanges(ORGANIZER, null, W);

    expect(first.events).toHaveLength(1);
    expect(first.events[0]).toMatchObject({ eventId: series, kind: 'series', start: '2030-01-07T08:00:00.000Z', timeZone: 'Europe/Berlin', isOrganizerCopy: true });
    expect(first.events[0]!.recurrence?.join('\n')).toMatch(/^RRULE:FREQ=WEEKLY;.*BYDAY=MO/m);
    // calendarView sends eight occurrences; the master is fetched once for all of them.
    expect(eventGets(sim).filter((r) => r.path.endsWith(encodeURIComponent(series)) || r.path.endsWith(series))).toHaveLength(1);

    sim.userEditOccurrence(ORGANIZER, series, '2030-01-14', { subject: 'Weekly (moved) #webmeeting', start: { dateTime: '2030-01-14T11:00:00', timeZone: 'W. Europe Standard Time' }, end: { dateTime: '2030-01-14T11:30:00', timeZone: 'W. Europe Standard Time' } });
    const second = await source.readChanges(ORGANIZER, first.cursor, W);
    const exception = second.events.find((e) => e.kind === 'occurrence');
    expect(exception).toMatchObject({ seriesId: series, title: 'Weekly (moved) #webmeeting', start: '2030-01-14T10:00:00.000Z', originalStart: '2030-01-14T08:00:00.000Z' });
    expect(second.events.filter((e) => e.kind === 'occurrence')).toHaveLength(1);

    sim.userDelete(ORGANIZER, series);
    const third = await source.readChanges(ORGANIZER, second.cursor, W);
    expect(third.events.find((e) => e.eventId === series)).toMatchObject({ kind: 'series', status: 'cancelled' });
  });

  it('reads a relativeMonthly series (second Tuesday) as BYDAY=2TU', async () => {
    const { sim, source } = await start();
    sim.userInsert(ORGANIZER, {
      subject: 'Board #webmeeting',
      start: { dateTime: '2030-01-08T15:00:00', timeZone: 'Pacific Standard Time' },
      end: { dateTime: '2030-01-08T16:00:00', timeZone: 'Pacific Standard Time' },
      recurrence: { pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['tuesday'], index: 'second' }, range: { type: 'numbered', startDate: '2030-01-08', numberOfOccurrences: 6 } },
    });

    const [series] = (await source.readChanges(ORGANIZER, null, W)).events;

    expect(series).toMatchObject({ kind: 'series', start: '2030-01-08T23:00:00.000Z', timeZone: 'America/Los_Angeles' });
    expect(series!.recurrence?.join('\n')).toMatch(/RRULE:FREQ=MONTHLY;.*BYDAY=2TU/);
    expect(series!.recurrence?.join('\n')).toMatch(/COUNT=6/);
  });

  it('maps a Windows time zone name to IANA and the instant to UTC', async () => {
    const { sim, source } = await start();
    const id = sim.userInsert(ORGANIZER, {
      subject: 'Pacific',
      start: { dateTime: '2030-01-10T09:00:00', timeZone: 'Pacific Standard Time' },
      end: { dateTime: '2030-01-10T10:30:00', timeZone: 'Pacific Standard Time' },
    }).id;

    const event = (await source.readChanges(ORGANIZER, null, W)).events.find((e) => e.eventId === id);

    expect(event).toMatchObject({ start: '2030-01-10T17:00:00.000Z', end: '2030-01-10T18:30:00.000Z', timeZone: 'America/Los_Angeles' });
  });

  it('keeps a Teams body byte for byte on write-back, and never adds the block twice', async () => {
    const { sim, source } = await start();
    const sample = JSON.parse(readFileSync(new URL('../fixtures/graph/event-online-meeting-created.json', import.meta.url), 'utf8')) as { body: { content: string } };
    const teams = sample.body.content;
    const id = sim.userInsert(ORGANIZER, single('Teams call #webmeeting', '2030-01-10', { body: { contentType: 'html', content: teams } })).id;
    const teamsPart = teams.slice(0, teams.toLowerCase().lastIndexOf('</body>'));

    await source.writeJoinDetails(ORGANIZER, id, details);
    sim.userPatch(ORGANIZER, id, { subject: 'Teams call, renamed #webmeeting' });
    const again = await source.writeJoinDetails(ORGANIZER, id, details);

    expect(again.changed).toBe(false);
    expect(sim.server.received('PATCH')).toHaveLength(1);
    const stored = sim.getEvent(ORGANIZER, id)!.body.content;
    expect(stored.startsWith(teamsPart)).toBe(true);
    expect(stored).toContain('https://teams.microsoft.com/l/meetup-join/');
    expect(readableText(stored).split(BLOCK_START)).toHaveLength(2);
    expect(stored).toContain(details.joinUrl);
  });

  it("writes back once (one PATCH, one attendee notification); the same details again send nothing, and the attendee's copy gets no stamp", async () => {
    const { sim, source } = await start();
    const id = sim.userInsert(ORGANIZER, single('Review #webmeeting', '2030-01-10', { attendees: [{ emailAddress: { address: ATTENDEE } }] })).id;

    const first = await source.writeJoinDetails(ORGANIZER, id, details);
    const second = await source.writeJoinDetails(ORGANIZER, id, details);

    expect(first.changed).toBe(true);
    expect(second).toEqual({ changed: false, etag: first.etag });
    const patches = sim.server.received('PATCH');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.headers['if-match']).toMatch(/^W\/"/);
    expect(Object.keys(JSON.parse(patches[0]!.body) as object).sort()).toEqual(['body', 'location', 'singleValueExtendedProperties']);
    const notifications = sim.notifications(ORGANIZER, id);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({ kind: 'update', recipients: [ATTENDEE] });
    expect((await source.getEvent(ORGANIZER, id))?.stamp).toEqual({ meetingId: details.meetingId, meetingNumber: details.meetingNumber });
    const copy = sim.events(ATTENDEE).find((e) => e.subject === 'Review #webmeeting')!;
    expect(copy.isOrganizer).toBe(false);
    expect(copy.location.displayName).toBe(details.joinUrl);
    expect((await source.getEvent(ATTENDEE, copy.id))?.stamp).toBeUndefined();
  });

  it('writes back right after a read with one PATCH and no GET: If-Match carries the etag the delta item had', async () => {
    const { sim, source } = await start();
    const id = sim.userInsert(ORGANIZER, single('Fresh #webmeeting', '2030-01-10', { attendees: [{ emailAddress: { address: ATTENDEE } }] })).id;
    const read = (await source.readChanges(ORGANIZER, null, W)).events.find((e) => e.eventId === id)!;
    const before = eventGets(sim).length;

    const result = await source.writeJoinDetails(ORGANIZER, id, details);

    expect(eventGets(sim).length).toBe(before);
    const patches = sim.server.received('PATCH');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.headers['if-match']).toBe(read.etag);
    expect(Object.keys(JSON.parse(patches[0]!.body) as object).sort()).toEqual(['body', 'location', 'singleValueExtendedProperties']);
    expect(result.changed).toBe(true);
    expect(sim.notifications(ORGANIZER, id)).toHaveLength(1);
    expect((await source.getEvent(ORGANIZER, id))?.stamp).toEqual({ meetingId: details.meetingId, meetingNumber: details.meetingNumber });
  });

  it('keeps copies only of the events the engine may write into (keepCopy): another event is read before its write-back', async () => {
    const { sim, source } = await start();
    const tagged = sim.userInsert(ORGANIZER, single('Kept #webmeeting', '2030-01-10')).id;
    const plain = sim.userInsert(ORGANIZER, single('Not kept', '2030-01-11')).id;
    await source.readChanges(ORGANIZER, null, W, { holdsMeeting: () => false, keepCopy: (e) => e.title.includes('#webmeeting') });
    const before = eventGets(sim).length;

    await source.writeJoinDetails(ORGANIZER, tagged, details);
    expect(eventGets(sim).length).toBe(before);
    await source.writeJoinDetails(ORGANIZER, plain, details);
    expect(eventGets(sim).length).toBe(before + 1);
  });

  it('keeps an edit made between the read and the write-back: the PATCH from the read gets 412, the event is read again and written on top', async () => {
    const statuses: number[] = [];
    const { sim, source } = await start({}, { onResponded: (req, status) => void (req.method === 'PATCH' && statuses.push(status)) });
    const id = sim.userInsert(ORGANIZER, single('Race #webmeeting')).id;
    await source.readChanges(ORGANIZER, null, W);
    sim.userPatch(ORGANIZER, id, { body: { contentType: 'text', content: 'Edited after the read' }, location: { displayName: 'Room 4' } });
    const before = eventGets(sim).length;

    const result = await source.writeJoinDetails(ORGANIZER, id, details);

    expect(result.changed).toBe(true);
    expect(statuses).toEqual([412, 200]);
    expect(eventGets(sim).length - before).toBe(1);
    const stored = sim.getEvent(ORGANIZER, id)!;
    expect(readableText(stored.body.content).startsWith('Edited after the read')).toBe(true);
    expect(readableText(stored.body.content).split(BLOCK_START)).toHaveLength(2);
    expect(stored.location.displayName).toBe('Room 4');
  });

  it('clears from a GET, never from a delta item (which carries no stamp to tell whether one must go)', async () => {
    const { sim, source } = await start();
    const id = sim.userInsert(ORGANIZER, single('Stamped #webmeeting')).id;
    await source.writeJoinDetails(ORGANIZER, id, details);
    const first = await source.readChanges(ORGANIZER, null, W);
    expect(first.events.find((e) => e.eventId === id)?.stamp).toEqual({ meetingId: details.meetingId, meetingNumber: details.meetingNumber });
    // An organizer removes our block by hand; the stamp stays. The next round's item has no block, so no GET.
    sim.userPatch(ORGANIZER, id, { body: { contentType: 'text', content: 'No block any more' } });
    await source.readChanges(ORGANIZER, first.cursor, W);
    const before = eventGets(sim).length;

    const result = await source.clearJoinDetails(ORGANIZER, id);

    expect(eventGets(sim).length - before).toBe(1);
    expect(result.changed).toBe(true);
    expect((await source.getEvent(ORGANIZER, id))?.stamp).toBeUndefined();
  });

  it("reads back its own write-backs for the page alone when meetsync holds their meetings, and never reads an attendee's copy for a stamp", async () => {
    const { sim, source } = await start();
    const id = sim.userInsert(ORGANIZER, single('Review #webmeeting', '2030-01-10', { attendees: [{ emailAddress: { address: ATTENDEE } }] })).id;
    // Both mailboxes read at once by a new source: one token request, one discovery, between them.
    const [organizer, attendee] = await Promise.all([source.readChanges(ORGANIZER, null, W), source.readChanges(ATTENDEE, null, W)]);
    expect(sim.server.received('POST').filter((r) => r.path.endsWith('/oauth2/v2.0/token'))).toHaveLength(1);
    expect(sim.server.requests.filter((r) => r.path.endsWith('/openid-configuration'))).toHaveLength(1);
    await source.writeJoinDetails(ORGANIZER, id, details);
    const before = eventGets(sim).length;

    const held = { holdsMeeting: (eventId: string) => eventId === id };
    const again = await source.readChanges(ORGANIZER, organizer.cursor, W, held);
    const copy = await source.readChanges(ATTENDEE, attendee.cursor, W, held);

    expect(again.events.map((e) => e.eventId)).toEqual([id]);
    expect(copy.events).toHaveLength(1);
    expect(copy.events[0]!.description).toContain(BLOCK_START);
    expect(eventGets(sim).length).toBe(before);
    // Without the hint (meetsync's database lost), the organizer's event is read for its stamp.
    sim.userPatch(ORGANIZER, id, { subject: 'Review, renamed #webmeeting' });
    const lost = await source.readChanges(ORGANIZER, again.cursor, W);
    expect(eventGets(sim).length - before).toBe(1);
    expect(lost.events[0]?.stamp).toEqual({ meetingId: details.meetingId, meetingNumber: details.meetingNumber });
  });

  it('an empty stamp value reads as no stamp (how a clear leaves it: Graph documents no delete of an extended property)', async () => {
    const { sim, source } = await start();
    const id = sim.userInsert(ORGANIZER, single('Stamped')).id;
    await source.writeJoinDetails(ORGANIZER, id, details);
    await source.clearJoinDetails(ORGANIZER, id);

    const raw = sim.getEvent(ORGANIZER, id)!.singleValueExtendedProperties;
    expect(raw).toEqual([{ id: STAMP_PROPERTY_ID, value: '' }]);
    expect((await source.getEvent(ORGANIZER, id))?.stamp).toBeUndefined();
  });

  it('refuses write-back with CalendarAuthError when the app holds Calendars.Read only, and reads on', async () => {
    const reader = { ...CLIENT, clientId: 'c0ffee00-2222-4bbb-8ccc-000000000001', clientSecret: 'reader~secret' };
    const { sim, source } = await start({ auth: reader });
    sim.addClient({ ...reader, roles: ['Calendars.Read'] });
    const id = sim.userInsert(ORGANIZER, single('Read only #webmeeting')).id;

    const read = await source.readChanges(ORGANIZER, null, W);
    const error = await source.writeJoinDetails(ORGANIZER, id, details).catch((e: unknown) => e);

    expect(read.events).toHaveLength(1);
    expect(error).toBeInstanceOf(CalendarAuthError);
    expect(error).toMatchObject({ source: 'corp-m365', calendarId: ORGANIZER });
    expect((error as Error).message).toMatch(/ErrorAccessDenied.*Calendars\.ReadWrite.*admin consent/s);
    expect(sim.server.received('PATCH')).toHaveLength(1);
  });

  it('reports a mailbox outside the application access policy as CalendarAuthError for that mailbox only', async () => {
    const { sim, source } = await start();
    sim.setApplicationAccessPolicy(CLIENT.clientId, { accessRight: 'RestrictAccess', mailboxes: [ORGANIZER] });
    sim.userInsert(ORGANIZER, single('Inside'));

    const denied = await source.readChanges(ATTENDEE, null, W).catch((e: unknown) => e);
    const allowed = await source.readChanges(ORGANIZER, null, W);

    expect(denied).toBeInstanceOf(CalendarAuthError);
    expect(denied).toMatchObject({ calendarId: ATTENDEE });
    expect((denied as Error).message).toContain('Access to OData is disabled.');
    expect((denied as Error).message).toMatch(/application access policy or RBAC for Applications\), add bob@contoso\.test/);
    expect(allowed.events.map((e) => e.title)).toEqual(['Inside']);
    // Not retried: a person must act.
    expect(graphRequests(sim).filter((r) => r.path.includes(ATTENDEE))).toHaveLength(1);
  });

  it('tells an unknown mailbox (404 ErrorInvalidUser) from a gone event (404 ErrorItemNotFound)', async () => {
    const { source } = await start();

    const unknown = await source.readChanges('nobody@contoso.test', null, W).catch((e: unknown) => e);

    expect(unknown).toBeInstanceOf(CalendarError);
    expect(unknown).not.toBeInstanceOf(CalendarAuthError);
    expect((unknown as Error).message).toMatch(/ErrorInvalidUser.*sources\[1\]\.mailboxes/s);
    await expect(source.getEvent('nobody@contoso.test', 'AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0AAAA=')).rejects.toBeInstanceOf(CalendarError);
    await expect(source.getEvent(ORGANIZER, 'AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0AAAA=')).resolves.toBeNull();
  });

  it('reports a wrong client secret as CalendarAuthError per mailbox, naming the key and never the secret, with nothing sent to Graph', async () => {
    const wrong = 'wrong~secret~value~123';
    const { sim, source } = await start({ auth: { ...CLIENT, clientSecret: wrong } });

    const errors = await Promise.all([ORGANIZER, ATTENDEE].map((m) => source.readChanges(m, null, W).catch((e: unknown) => e)));

    for (const [i, mailbox] of [ORGANIZER, ATTENDEE].entries()) {
      expect(errors[i]).toBeInstanceOf(CalendarAuthError);
      expect(errors[i]).toMatchObject({ calendarId: mailbox });
      const message = (errors[i] as Error).message;
      expect(message).toMatch(/AADSTS7000215/);
      expect(message).toContain('sources[1].auth.clientSecret');
      expect(message).not.toContain(wrong);
    }
    expect(graphRequests(sim)).toHaveLength(0);
  });

  it('turns a client secret that expires while running into CalendarAuthError after one token refresh', async () => {
    const { sim, source } = await start();
    const first = await source.readChanges(ORGANIZER, null, W);
    sim.expireClientSecret(CLIENT.clientId);
    sim.expireAccessTokens();

    const error = await source.readChanges(ORGANIZER, first.cursor, W).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CalendarAuthError);
    expect((error as Error).message).toMatch(/AADSTS7000222/);
    expect(sim.server.received('POST').filter((r) => r.path.endsWith('/token'))).toHaveLength(2);
  });

  it('refreshes the token exactly once after a 401', async () => {
    const { sim, source } = await start();
    const first = await source.readChanges(ORGANIZER, null, W);
    sim.expireAccessTokens();

    await expect(source.readChanges(ORGANIZER, first.cursor, W)).resolves.toMatchObject({ full: false });
    expect(sim.server.received('POST').filter((r) => r.path.endsWith('/token'))).toHaveLength(2);
    expect(source.stats.tokenRefreshes).toBe(1);
  });

  it('still fetches a new token after a 401 when the first token request gets no answer (fault campaign finding)', async () => {
    const { sim, source } = await start();
    const first = await source.readChanges(ORGANIZER, null, W);
    sim.expireAccessTokens();
    // The token request after the 401 is lost; the retry must ask the authority again, not send
    // the cached token Graph just refused (which ended in "refused a freshly issued token").
    sim.server.inject({ kind: 'drop', method: 'POST', pathIncludes: '/oauth2/v2.0/token' });

    await expect(source.readChanges(ORGANIZER, first.cursor, W)).resolves.toMatchObject({ full: false });
    expect(sim.server.received('POST').filter((r) => r.path.endsWith('/token'))).toHaveLength(3);
  });

  it('retries a busy authority after its own backoff, not after the minute msal would wait, and honours its Retry-After', async () => {
    const { sim, source } = await start();
    const first = await source.readChanges(ORGANIZER, null, W);
    const tokenPosts = () => sim.server.received('POST').filter((r) => r.path.endsWith('/oauth2/v2.0/token')).length;
    const busy = { error: 'temporarily_unavailable', error_description: 'AADSTS90033: A transient error has occurred. Please try again.' };
    // No Retry-After: msal would refuse every token request for 60 s (its default throttle).
    sim.expireAccessTokens();
    sim.server.inject({ kind: 'status', status: 503, method: 'POST', pathIncludes: '/oauth2/v2.0/token', body: busy });
    await expect(source.readChanges(ORGANIZER, first.cursor, W)).resolves.toMatchObject({ full: false });
    expect(tokenPosts()).toBe(3);

    // Retry-After: 1 is waited once, by the adapter.
    sim.expireAccessTokens();
    sim.server.inject({ kind: 'status', status: 429, retryAfterSeconds: 1, method: 'POST', pathIncludes: '/oauth2/v2.0/token', body: busy });
    const started = Date.now();
    await expect(source.readChanges(ORGANIZER, first.cursor, W)).resolves.toMatchObject({ full: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(tokenPosts()).toBe(5);
  });

  it('waits as long as Retry-After asks on a 429 and a 503, and counts the retries', async () => {
    const { sim, source } = await start();
    sim.injectThrottle(1, { status: 429, retryAfterSeconds: 1, mailbox: ORGANIZER });
    sim.injectThrottle(1, { status: 503, retryAfterSeconds: 1, mailbox: ORGANIZER });
    const started = Date.now();

    await source.readChanges(ORGANIZER, null, W);

    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(source.stats).toMatchObject({ requests: 3, retries: 2 });
  });

  it('starts a new full round on 410 syncStateNotFound and says why', async () => {
    const { sim, source } = await start();
    const kept = sim.userInsert(ORGANIZER, single('Kept')).id;
    const first = await source.readChanges(ORGANIZER, null, W);
    sim.injectDeltaGone(1, ORGANIZER);

    const read = await source.readChanges(ORGANIZER, first.cursor, W);

    expect(read).toMatchObject({ full: true, fullReason: FULL_READ_REASON_EXPIRED });
    expect(read.events.map((e) => e.eventId)).toEqual([kept]);
  });

  it('keeps at most 4 requests in flight per mailbox (Outlook MailboxConcurrency), two mailboxes at once', async () => {
    const { sim, source } = await start();
    for (let day = 10; day < 22; day += 1) {
      sim.userInsert(ORGANIZER, single(`Busy ${day}`, `2030-01-${day}`));
      sim.userInsert(ATTENDEE, single(`Other ${day}`, `2030-01-${day}`));
    }
    sim.injectStrippedDelta(ORGANIZER, { all: true });
    sim.injectStrippedDelta(ATTENDEE, { all: true });
    sim.setLatency(60);

    const reads = await Promise.all([source.readChanges(ORGANIZER, null, W), source.readChanges(ATTENDEE, null, W)]);

    expect(reads.map((r) => r.events.length)).toEqual([12, 12]);
    expect(sim.concurrency(ORGANIZER).max).toBe(4);
    expect(sim.concurrency(ATTENDEE).max).toBe(4);
    // The simulator answers a fifth concurrent request with 429; none came, so nothing was retried.
    expect(source.stats.retries).toBe(0);
  });
});
