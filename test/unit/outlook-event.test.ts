import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BLOCK_START } from '../../src/domain/join-block.js';
import { planJoinClear, planJoinWrite } from '../../src/calendars/join-write.js';
import { bodyText, bodyWithBlock, bodyWithoutBlock, htmlToText, HTML_BLOCK_BEGIN } from '../../src/calendars/outlook/body.js';
import { decodeCursor, encodeCursor, planRound, roundMismatch } from '../../src/calendars/outlook/delta.js';
import {
  STAMP_PROPERTY_ID,
  graphBodyOf,
  isStripped,
  parseDeltaPage,
  parseGraphEvent,
  stampOf,
  stampValue,
  toCalendarEvent,
  type GraphEvent,
} from '../../src/calendars/outlook/event.js';
import type { JoinDetails } from '../../src/domain/event.js';
import { MalformedResponseError } from '../../src/domain/errors.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/graph/${name}`, import.meta.url), 'utf8'));
}

const context = { source: 'corp-outlook', calendarId: 'samanthab@contoso.test' };
const map = (event: GraphEvent) => toCalendarEvent(event, context);
const details: JoinDetails = { meetingId: 'mtg-4711', meetingNumber: '1234-5678-9012-3456', joinUrl: 'https://meet.example.test/j/4711?pwd=a&b=c' };

describe('Graph calendarView/delta pages (delta-query-events.md samples)', () => {
  const pages = ['calendarview-delta-page1-nextlink.json', 'calendarview-delta-page2-nextlink.json', 'calendarview-delta-page3-deltalink.json'].map((name) =>
    parseDeltaPage(fixture(name)),
  );

  it('follows nextLink pages to the deltaLink of the round', () => {
    expect(pages.map((p) => [Boolean(p['@odata.nextLink']), Boolean(p['@odata.deltaLink'])])).toEqual([
      [true, false],
      [true, false],
      [false, true],
    ]);
    expect(pages[2]?.['@odata.deltaLink']).toBe('https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=R0usmcMDNGg0J1E');
    expect(pages.flatMap((p) => p.value.map((e) => e.subject))).toEqual(['Plan shopping list', 'Pick up car', 'Get food', 'Prepare food', 'Rest!']);
  });

  it('maps UTC times with seven fractional digits, organizer and location', () => {
    const rest = map(pages[2]!.value[0]!);
    expect(rest).toMatchObject({
      eventId: 'AAMkADj1HuAAA=',
      title: 'Rest!',
      start: '2016-12-12T02:00:00.000Z',
      end: '2016-12-12T07:30:00.000Z',
      location: 'Home',
      organizerEmail: 'samanthab@contoso.onmicrosoft.com',
      status: 'confirmed',
      kind: 'single',
      etag: 'W/"EZ9r3czxY0m2jz8c45czkwAALZu97g=="',
    });
  });

  it('takes the shortened samples for stripped items: without isOrganizer, type and categories they are completed with a GET', () => {
    const items = pages.flatMap((p) => p.value);
    expect(items.every(isStripped)).toBe(true);
    // Mapped as they are, they could never act: no isOrganizer means an attendee's copy.
    expect(items.map(map).every((e) => !e.isOrganizerCopy)).toBe(true);
    const round = planRound(items);
    expect(round.fetch).toEqual(items.map((e) => e.id));
    expect(round.ready).toEqual([]);
  });

  it("reads the stamp of an item carrying our block only when it could decide something: an organizer's event meetsync holds no meeting for", () => {
    const withBlock = (id: string, extra: Record<string, unknown>) =>
      parseGraphEvent({
        id, type: 'singleInstance', isOrganizer: true, subject: 'Review', categories: [], body: bodyWithBlock({ contentType: 'html', content: '<html><body>Agenda</body></html>' }, details),
        start: { dateTime: '2030-01-10T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2030-01-10T10:00:00', timeZone: 'UTC' }, ...extra,
      });
    const items = [
      withBlock('lost', {}),
      withBlock('held', {}),
      withBlock('attendee-copy', { isOrganizer: false }),
      withBlock('exception-of-held', { type: 'exception', seriesMasterId: 'held-series' }),
    ];
    const holds = (id: string) => id === 'held' || id === 'held-series';

    expect(planRound(items, holds).fetch).toEqual(['lost']);
    expect(planRound(items, holds).ready.map((e) => e.id)).toEqual(['held', 'attendee-copy', 'exception-of-held']);
    // Without hints every organizer item with our block is read (the attendee's copy never is).
    expect(planRound(items).fetch).toEqual(['lost', 'held', 'exception-of-held']);
  });

  it('the next round: @removed is looked up, never mapped as a cancellation by itself', () => {
    const next = parseDeltaPage(fixture('calendarview-delta-nextround-removed.json'));
    const [removed, added] = next.value;
    expect(removed?.['@removed']).toEqual({ reason: 'deleted' });
    expect(map(added!)).toMatchObject({ title: 'Attend service', location: 'Chapel of Saint Ignatius', start: '2016-12-25T06:00:00.000Z' });

    const round = planRound(next.value);
    expect(round.removed).toEqual(['AAMkADk0MGFkODE3LWE4MmYtNDRhOS04OGQLkRkXbBznTvAADb6ytyAAA=']);
    expect(round.fetch).toEqual(['AAMkADj1HvAAA=']);
  });

  it('processes an item replayed in a round once, the last copy winning', () => {
    const base = parseGraphEvent(fixture('event-online-meeting-created.json'));
    const first = { ...base, subject: 'Before' };
    const second = { ...base, subject: 'After' };
    const round = planRound([first, parseGraphEvent({ id: 'other', '@removed': { reason: 'deleted' } }), second]);
    expect(round.ready.map((e) => e.subject)).toEqual(['After']);

    const goneLast = planRound([first, { id: base.id, '@removed': { reason: 'deleted' } }]);
    expect(goneLast.ready).toEqual([]);
    expect(goneLast.removed).toEqual([base.id]);
  });

  it('reads the beta full-event page: Windows zone, uid, an HTML body that shows nothing', () => {
    const page = parseDeltaPage(fixture('beta-calendarview-delta-full-events.json'));
    const [party] = page.value;
    expect(isStripped(party!)).toBe(false);
    expect(map(party!)).toMatchObject({
      title: 'Summer party',
      isOrganizerCopy: true,
      timeZone: 'America/Los_Angeles',
      start: '2020-06-02T20:00:00.000Z',
      end: '2020-06-02T22:30:00.000Z',
      description: '',
      categories: [],
      iCalUid: '040000008200E00074C5B7101A82E00800000000F088B8B95843D601000000000000000010000000165CD5547CFC9545B6492B261750B48C',
      updated: '2020-06-16T04:08:27.354Z',
    });
  });

  it('rejects an item without an id, naming the field', () => {
    expect(() => parseDeltaPage({ value: [{ subject: 'x' }] })).toThrow(MalformedResponseError);
    expect(() => parseDeltaPage({ value: [{ subject: 'x' }] })).toThrow(/value\[0\]\.id/);
  });
});

describe('Graph events', () => {
  it('reads times given in a Windows zone without offset (Prefer: outlook.timezone="Pacific Standard Time")', () => {
    const event = map(parseGraphEvent(fixture('event-get-prefer-pacific.json')));
    // 21 April 2017 10:00 Pacific Daylight Time = 17:00 UTC.
    expect(event.start).toBe('2017-04-21T17:00:00.000Z');
    expect(event.end).toBe('2017-04-21T19:00:00.000Z');
    expect(event.description).toBe('Dana, this is the time you selected for our orientation. Please bring the notes I sent you.');
    expect(event.location).toBe('Assembly Hall');
  });

  it('ties instances listed out of order to their master, exceptions emitted, plain occurrences only fetching the master', () => {
    const instances = parseDeltaPage(fixture('event-list-instances.json')).value;
    const mapped = instances.map(map);
    expect(mapped.map((e) => e.kind)).toEqual(['occurrence', 'occurrence', 'occurrence', 'occurrence']);
    expect(new Set(mapped.map((e) => e.seriesId))).toEqual(new Set(['AAMkAGUzYRgWAAA=']));
    expect(mapped.map((e) => e.start)).toEqual(['2019-04-16T20:30:00.000Z', '2019-04-08T20:30:00.000Z', '2019-04-22T20:30:00.000Z', '2019-04-29T20:30:00.000Z']);

    const round = planRound(instances);
    expect(round.masters).toEqual(['AAMkAGUzYRgWAAA=']);
    // The exception lacks isOrganizer in the sample: completed with a GET; the occurrences are not emitted.
    expect(round.fetch).toEqual(['AAMkAGUzYAgI1sE1TatAAEYAAAAAlNFb2CNPe0ucP9you']);
    expect(round.ready).toEqual([]);
  });

  it('keeps originalStart of an exception', () => {
    const exception = map(parseGraphEvent({ ...(fixture('event-list-instances.json') as { value: object[] }).value[0], originalStart: '2019-04-15T20:30:00Z' }));
    expect(exception.originalStart).toBe('2019-04-15T20:30:00.000Z');
  });

  it('maps the online-meeting event: organizer copy, Teams body as text, no stamp', () => {
    const event = map(parseGraphEvent(fixture('event-online-meeting-created.json')));
    expect(event).toMatchObject({ isOrganizerCopy: true, organizerEmail: 'alexw@contoso.onmicrosoft.com', timeZone: 'America/Los_Angeles', location: 'Cordova conference room' });
    expect(event.start).toBe('2019-11-20T21:00:00.000Z');
    expect(event.description.startsWith('Does this time work for you?')).toBe(true);
    expect(event.description).toContain('Join Microsoft Teams Meeting');
    expect(event.description).toContain('Conference ID: 291 633 251#');
    expect(event.stamp).toBeUndefined();
  });

  it('maps isCancelled to a cancelled status and isAllDay to allDay', () => {
    const base = fixture('event-online-meeting-created.json') as object;
    expect(map(parseGraphEvent({ ...base, isCancelled: true })).status).toBe('cancelled');
    expect(map(parseGraphEvent({ ...base, isAllDay: true })).allDay).toBe(true);
  });
});

describe('the stamp (a single-value extended property)', () => {
  it('reads back what it writes, ignores other properties, and takes an empty value as no stamp', () => {
    const base = fixture('event-online-meeting-created.json') as object;
    const stamped = parseGraphEvent({
      ...base,
      singleValueExtendedProperties: [
        { id: 'String {66f5a359-4659-4830-9070-00047ec6ac6e} Name Color', value: 'Green' },
        { id: STAMP_PROPERTY_ID.toUpperCase(), value: stampValue({ meetingId: 'mtg-1', meetingNumber: '1|2' }) },
      ],
    });
    expect(stampOf(stamped)).toEqual({ meetingId: 'mtg-1', meetingNumber: '1|2' });
    expect(stampOf(parseGraphEvent({ ...base, singleValueExtendedProperties: [{ id: STAMP_PROPERTY_ID, value: stampValue(null) }] }))).toBeUndefined();
    expect(stampOf(parseGraphEvent({ ...base, singleValueExtendedProperties: [{ id: STAMP_PROPERTY_ID, value: 'not json' }] }))).toBeUndefined();
  });
});

describe('the HTML body and our block', () => {
  const teams = parseGraphEvent(fixture('event-online-meeting-created.json'));
  const original = graphBodyOf(teams);

  it('appends the block before </body>, keeping the Teams block byte for byte, and the text carries exactly one block', () => {
    const written = bodyWithBlock(original, details);
    const close = original.content.lastIndexOf('</body>');
    expect(written.content.startsWith(original.content.slice(0, close))).toBe(true);
    expect(written.content.endsWith(original.content.slice(close))).toBe(true);
    const text = bodyText(written);
    expect(text.split(BLOCK_START)).toHaveLength(2);
    expect(text).toContain(`Join: ${details.joinUrl}`);
    expect(text).toContain('Join Microsoft Teams Meeting');
  });

  it('makes a second write of the same details a no-op, and new details replace the block instead of adding one', () => {
    const written = bodyWithBlock(original, details);
    const after = { description: bodyText(written), location: details.joinUrl, stamp: { meetingId: details.meetingId, meetingNumber: details.meetingNumber } };
    expect(planJoinWrite(after, details)).toBeNull();

    const moved = { ...details, meetingId: 'mtg-4712', joinUrl: 'https://meet.example.test/j/4712' };
    const rewritten = bodyWithBlock(written, moved);
    expect(rewritten.content.split(HTML_BLOCK_BEGIN)).toHaveLength(2);
    expect(bodyText(rewritten)).toContain(moved.joinUrl);
    expect(bodyText(rewritten)).not.toContain(details.joinUrl);
  });

  it('clearing restores the body exactly as the organizer had it', () => {
    const written = bodyWithBlock(original, details);
    expect(bodyWithoutBlock(written)).toEqual(original);
    const clear = planJoinClear({ description: bodyText(written), location: details.joinUrl });
    expect(clear).toEqual({ description: bodyText(original), location: '' });
    expect(planJoinClear({ description: bodyText(original), location: 'Cordova conference room' })).toBeNull();
  });

  it('finds our block by its text when a server dropped the comments around it', () => {
    const written = bodyWithBlock(original, details).content.replace(/<!--[^>]*meetsync[^>]*-->/g, '');
    expect(bodyText({ contentType: 'html', content: written })).toContain(BLOCK_START);
    expect(bodyText(bodyWithoutBlock({ contentType: 'html', content: written }))).toBe(bodyText(original));
  });

  it('writes text bodies as text', () => {
    const text = bodyWithBlock({ contentType: 'text', content: 'Agenda:\r\n1. numbers' }, details);
    expect(text.contentType).toBe('text');
    expect(text.content.startsWith('Agenda:\n1. numbers\n\n')).toBe(true);
    expect(bodyWithoutBlock(text)).toEqual({ contentType: 'text', content: 'Agenda:\n1. numbers' });
  });

  it('reads HTML as a person sees it', () => {
    expect(htmlToText('<html><head><style>p{}</style></head><body><p>Hello&nbsp;&amp; welcome</p><p>Line<br/>two &#8211; &#x263A;</p></body></html>')).toBe(
      'Hello & welcome\n\nLine\ntwo – ☺',
    );
  });
});

describe('the delta cursor', () => {
  const window = { from: new Date('2030-01-01T00:00:00Z'), to: new Date('2030-03-01T00:00:00Z') };
  const cursor = { deltaLink: 'https://graph.example.test/v1.0/users/a/calendarView/delta?$deltatoken=x', from: '2030-01-01T00:00:00.000Z', to: '2030-03-08T00:00:00.000Z', series: ['m1'] };

  it('round-trips, and refuses what is not ours', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor('CAESBgi...googleSyncToken')).toBeUndefined();
    expect(decodeCursor(JSON.stringify({ v: 2 }))).toBeUndefined();
  });

  it('serves a window inside the round and starts a new round when the window leaves it', () => {
    expect(roundMismatch(cursor, window)).toBeUndefined();
    expect(roundMismatch(cursor, { from: window.from, to: new Date('2030-03-09T00:00:00Z') })).toMatch(/ends .* after the delta round's end/);
    expect(roundMismatch(cursor, { from: new Date('2029-12-01T00:00:00Z'), to: window.to })).toMatch(/starts .* before the delta round's start/);
  });
});
