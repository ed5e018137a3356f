import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleSource } from '../../src/calendars/google/source.js';
import type { CalendarEvent } from '../../src/domain/event.js';

/**
 * Real Google sync pages captured by SwitchbackTech/compass (test/fixtures/SOURCES.md), served
 * over real HTTP as events.list answers to the real googleapis client inside GoogleSource. The
 * page for cursor `fixture:<name>` is test/fixtures/google/<name>.json, so each read replays what
 * Google answered after one kind of recurring edit; the tests check that series identity survives.
 */

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/google');
const CALENDAR = 'test.user@gmail.com';
const window = { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-06-01T00:00:00Z') };
const compassPages = readdirSync(FIXTURES).filter((f) => f.startsWith('compass-') && f.endsWith('.json')).map((f) => f.slice(0, -5));

function page(name: string): { nextSyncToken: string; items: Array<Record<string, unknown>> } {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as { nextSyncToken: string; items: Array<Record<string, unknown>> };
}

let server: http.Server;
let source: GoogleSource;
const seen: Array<{ path: string; authorization: string | undefined; query: URLSearchParams }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://replay.invalid');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === '/token') {
      send(200, { access_token: 'ya29.replay-access-token', expires_in: 3599, token_type: 'Bearer' });
      return;
    }
    seen.push({ path: url.pathname, authorization: req.headers.authorization, query: url.searchParams });
    const token = url.searchParams.get('syncToken') ?? 'fixture:compass-recurring-create';
    const name = token.replace(/^fixture:/, '');
    if (req.method !== 'GET' || url.pathname !== `/calendar/v3/calendars/${encodeURIComponent(CALENDAR)}/events` || !compassPages.includes(name)) {
      send(404, { error: { code: 404, message: `replay server has no ${req.method} ${url.pathname} for ${token}`, errors: [{ reason: 'notFound' }] } });
      return;
    }
    send(200, readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  source = new GoogleSource({
    name: 'compass',
    calendars: [CALENDAR],
    auth: { type: 'oauth', clientId: 'replay-client', clientSecret: 'replay-secret', refreshToken: 'replay-refresh-token' },
    rootUrl: `http://127.0.0.1:${port}/`,
    tokenUrl: `http://127.0.0.1:${port}/token`,
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function replay(name: string): Promise<CalendarEvent[]> {
  const read = await source.readChanges(CALENDAR, `fixture:${name}`, window);
  expect(read.full).toBe(false);
  expect(read.cursor).toBe(page(name).nextSyncToken);
  return read.events;
}

function byId(events: CalendarEvent[], id: string): CalendarEvent {
  const event = events.find((e) => e.eventId === id);
  if (!event) throw new Error(`no event ${id} among ${events.map((e) => e.eventId).join(', ')}`);
  return event;
}

/** `2025-03-25T13:00:00.000Z` -> `20250325T130000Z`, the suffix Google gives instance ids. */
function compact(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

describe('Google adapter replaying real sync pages (SwitchbackTech/compass)', () => {
  it('reads a new daily series as one series in UTC, with its zone, rule and emoji title intact', async () => {
    const read = await source.readChanges(CALENDAR, null, window);

    expect(read.full).toBe(true);
    expect(seen.at(-1)!.authorization).toBe('Bearer ya29.replay-access-token');
    expect(seen.at(-1)!.query.get('timeMin')).toBe(window.from.toISOString());
    expect(read.events).toEqual([
      expect.objectContaining({
        eventId: '68k0p6ackplecqs9fuvbs1fju0',
        kind: 'series',
        title: '🍽️ Dishes',
        start: '2025-03-24T12:30:00.000Z',
        end: '2025-03-24T13:15:00.000Z',
        timeZone: 'America/Chicago',
        recurrence: ['RRULE:FREQ=DAILY'],
        organizerEmail: 'test.user@gmail.com',
        isOrganizerCopy: true,
        iCalUid: '68k0p6ackplecqs9fuvbs1fju0@google.com',
        etag: '"3485452990504510"',
      }),
    ]);
  });

  it('keeps every occurrence of every page tied to its series: id = series id + original start in UTC', async () => {
    for (const name of compassPages) {
      for (const event of await replay(name)) {
        if (event.kind !== 'occurrence') continue;
        expect(event.seriesId, `${name} ${event.eventId}`).toBeDefined();
        expect(event.originalStart, `${name} ${event.eventId}`).toMatch(/Z$/);
        expect(event.eventId, name).toBe(`${event.seriesId}_${compact(event.originalStart!)}`);
      }
    }
  });

  it('maps edited single instances to occurrences of their series, at their original start', async () => {
    const events = await replay('compass-recurring-edit-single-instance-3');
    const master = '1kmd7abo2uok36n1pkaemqncba';

    expect(byId(events, master)).toMatchObject({ kind: 'series', title: '🍽️ Dishes' });
    expect(byId(events, `${master}_20250326T123000Z`)).toMatchObject({
      kind: 'occurrence',
      seriesId: master,
      originalStart: '2025-03-26T12:30:00.000Z',
      title: '🧼 Dishes-Edited Just This One',
      iCalUid: `${master}@google.com`,
    });
    expect(events.filter((e) => e.seriesId === master)).toHaveLength(3);
  });

  it('treats the `_R…` half of a "this and following" split as a new series, and moved instances keep their original start', async () => {
    const events = await replay('compass-recurring-edit-this-and-following-2');
    const old = '3i234gl45i6i1s8rpui7dleor0';

    expect(byId(events, old)).toMatchObject({ kind: 'series', recurrence: ['RRULE:FREQ=DAILY;UNTIL=20250326T045959Z'] });
    const split = byId(events, `${old}_R20250326T131500`);
    expect(split).toMatchObject({ kind: 'series', title: '🐛 Journal - This And Following', iCalUid: `${old}_R20250326T131500@google.com` });
    expect(split.seriesId).toBeUndefined();
    expect(byId(events, `${old}_20250315T131500Z`)).toMatchObject({
      kind: 'occurrence',
      seriesId: old,
      originalStart: '2025-03-15T13:15:00.000Z',
      start: '2025-03-15T21:00:00.000Z',
    });
  });

  it('reads "edit all" after a split as the truncated old series plus a new `_R…` series', async () => {
    const events = await replay('compass-recurring-edit-all-2');
    const old = '68k0p6ackplecqs9fuvbs1fju0';

    expect(byId(events, old)).toMatchObject({ kind: 'series', title: '🧽 Dishes' });
    expect(byId(events, `${old}_R20250326T123000`)).toMatchObject({ kind: 'series', start: '2025-03-26T12:30:00.000Z' });
    expect(byId(events, `${old}_20250324T123000Z`)).toMatchObject({ kind: 'occurrence', seriesId: old });
    const v2 = await replay('compass-recurring-edit-this-and-following-v2-1');
    expect(byId(v2, 'e5srrkr361upjc2be22u6ti4pe_R20250409T120000')).toMatchObject({ kind: 'series', title: '🍊 Breakfast: This And Following v2' });
  });

  it('keys a cancelled instance across the DST change by its id, with its original start in UTC', async () => {
    for (const name of ['compass-recurring-delete-single', 'compass-recurring-delete-this-and-following']) {
      const events = await replay(name);
      const master = '5hni4sj3ql1669otmjg7sn1mok';

      // The series started in CST (-06:00), the cancelled instance was in CDT (-05:00).
      expect(byId(events, master)).toMatchObject({ kind: 'series', start: '2025-02-09T14:00:00.000Z', status: 'confirmed' });
      expect(byId(events, `${master}_20250325T130000Z`)).toEqual(
        expect.objectContaining({
          status: 'cancelled',
          kind: 'occurrence',
          seriesId: master,
          originalStart: '2025-03-25T13:00:00.000Z',
          title: '',
          description: '',
          location: '',
          isOrganizerCopy: false,
        }),
      );
      expect(byId(events, `${master}_20250325T130000Z`).start).toBeUndefined();
    }
  });

  it('reads "delete all" as a bare cancellation keyed by the series id alone', async () => {
    const events = await replay('compass-recurring-delete-all-1');

    expect(events).toEqual([
      expect.objectContaining({ eventId: '6pbua6vjeic3e73gvponeo1qp6', status: 'cancelled', title: '', isOrganizerCopy: false }),
    ]);
    expect(events[0]!.start).toBeUndefined();
    expect(events[0]!.seriesId).toBeUndefined();
  });
});
