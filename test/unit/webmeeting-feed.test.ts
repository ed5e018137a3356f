import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/domain/errors.js';
import type { FeedMeeting } from '../../src/domain/meeting.js';
import { registerSecret } from '../../src/domain/redact.js';
import { findMeetingId, findMeetingNumber, isAlreadyGone } from '../../src/webmeeting/assumptions.js';
import { parseFeed } from '../../src/webmeeting/feed/strict.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/ics');
const read = (name: string): string => readFileSync(path.join(fixtures, name), 'utf8');

/** Each fixture as stored, and with every line ending turned into CRLF (SOURCES.md asks for both). */
function variants(name: string): Array<[string, string]> {
  const stored = read(name);
  return [
    ['as stored', stored],
    ['CRLF', stored.replace(/\r?\n/g, '\r\n')],
  ];
}

const bySummary = (meetings: FeedMeeting[], summary: string): FeedMeeting | undefined =>
  meetings.find((m) => m.summary === summary);

describe('parseFeed on real-world ICS files', () => {
  it.each(variants('Outlook2007LineFolds.ics'))('Outlook 2007 TAB folds (%s)', (_v, text) => {
    const [event, ...rest] = parseFeed(text);
    expect(rest).toHaveLength(0);
    // The UID is folded with a TAB; unfolding must drop the TAB and keep every hex digit.
    expect(event?.uid).toBe(
      '040000008200E00074C5B7101A82E00800000000900AD080B5F2C901000000000000000010000000B29680BF9E5DC246B5EDDE228038E71F',
    );
    // A long GlobalObjectId is hex, but no standalone 24-hex id: no false match.
    expect(event?.meetingId).toBeUndefined();
    expect(event?.summary).toBe('Example Calendar Export that Blows Up DDay.iCal');
    expect(event?.start).toBe('2009-06-21T00:00:00.000Z');
    expect(event?.end).toBe('2009-06-22T00:00:00.000Z');
  });

  it.each(variants('Language2.ics'))('UTF-8 BOM and properties folded after their name (%s)', (_v, text) => {
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const meetings = parseFeed(text);
    // Five VEVENTs; the VTODO is not a meeting.
    expect(meetings.map((m) => m.summary)).toContain('Swedish chars and letters');
    expect(meetings.some((m) => m.summary === 'Städa garaget')).toBe(false);
    expect(bySummary(meetings, 'Swedish chars and letters')?.description).toBe('This is Swedish chars: åäö and ÅÄÖ');
    expect(bySummary(meetings, 'God Jul')).toMatchObject({
      uid: '27dedb92-69a4-11db-8fae-b9231e60cc13',
      start: '2006-12-24T00:00:00.000Z',
      end: '2006-12-24T23:00:00.000Z',
    });
  });

  it.each(variants('tentative-apple-calendar.ics'))('Apple Calendar: CANCELLED left out, IANA TZID without VTIMEZONE (%s)', (_v, text) => {
    const meetings = parseFeed(text);
    expect(meetings.map((m) => m.summary)).toEqual(['Tentative', 'Confirmed', 'No Status']);
    expect(bySummary(meetings, 'Tentative')).toMatchObject({ start: '2022-07-04T23:00:00.000Z', end: '2022-07-04T23:50:00.000Z' });
    // 09:00 in America/Vancouver (PDT, UTC-7), not floating in the host's zone.
    expect(bySummary(meetings, 'Confirmed')).toMatchObject({ start: '2022-07-05T16:00:00.000Z', end: '2022-07-05T17:00:00.000Z' });
  });

  it.each(variants('issue_28_rrule_with_UTC_endinginZ.ics'))('Exchange 2010 CRLF series with overrides (%s)', (_v, text) => {
    expect(read('issue_28_rrule_with_UTC_endinginZ.ics')).toContain('\r\n');
    const meetings = parseFeed(text);
    // Two series; the override (RECURRENCE-ID) of the first is not a meeting of its own.
    expect(meetings.map((m) => m.summary)).toEqual(['Refuse black bin', 'Blue Recycle bin']);
    expect(meetings[0]?.rrule).toBe('FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20200916T230000Z');
    expect(meetings[0]?.start).toBe('2020-04-02T00:00:00.000Z');
    expect(meetings.every((m) => m.meetingId === undefined && m.meetingNumber === undefined)).toBe(true);
  });

  it.each(variants('google-calendar-kiev-tz.ics'))('Google: override before its master, VTIMEZONE of the file (%s)', (_v, text) => {
    const meetings = parseFeed(text);
    expect(meetings).toHaveLength(1);
    // 14:00 Europe/Kiev in August is EEST (UTC+3), from the file's own VTIMEZONE.
    expect(meetings[0]).toMatchObject({ summary: 'repeated', start: '2016-08-25T11:00:00.000Z', rrule: 'FREQ=DAILY;UNTIL=20160828T110000Z' });
  });

  it.each(variants('issue_350.ics'))('Podio: TAB folds and a property after END:VCALENDAR (%s)', (_v, text) => {
    const [event] = parseFeed(text);
    expect(event?.url).toBe('https://podio.com/xxxxxxyyyyyy/zpodio-testgelande/apps/calendar/items/5');
    expect(event?.start).toBe('2022-02-22T18:30:00.000Z');
  });

  it.each(variants('issue_165_missing_event.ics'))('an invalid RRULE is a DataError naming the owner (%s)', (_v, text) => {
    expect(() => parseFeed(text, { owner: 'ann@example.com' })).toThrow(DataError);
    expect(() => parseFeed(text, { owner: 'ann@example.com' })).toThrow(
      /^the ICS feed of ann@example\.com is not valid iCalendar: invalid BYDAY value " TU"; check /,
    );
  });
});

describe('parseFeed on a platform-shaped feed', () => {
  const feed = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    'BEGIN:VEVENT',
    'UID:5e945c36b863b82cefdddf54@meeting.example.com',
    'DTSTART:20200407T090000Z',
    'DTEND:20200407T100000Z',
    'SUMMARY:Weekly sync',
    'DESCRIPTION:Agenda\\n\\nJoin: https://meeting.example.com/meeting/9974-7653-8886-0485\\nMeeting number: 9974-76',
    ' 53-8886-0485',
    'URL:https://meeting.example.com/meeting/9974-7653-8886-0485',
    'RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=5',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:only-a-number',
    'DTSTART:20200408T090000Z',
    'DURATION:PT45M',
    'SUMMARY:Weekly sync',
    'LOCATION:Dial 1111-2222-3333-4444',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');

  it('finds the 24-hex id and the dashed number, never matching by title', () => {
    const [first, second] = parseFeed(feed);
    expect(first).toEqual({
      uid: '5e945c36b863b82cefdddf54@meeting.example.com',
      meetingId: '5e945c36b863b82cefdddf54',
      meetingNumber: '9974-7653-8886-0485',
      summary: 'Weekly sync',
      description: 'Agenda\n\nJoin: https://meeting.example.com/meeting/9974-7653-8886-0485\nMeeting number: 9974-7653-8886-0485',
      start: '2020-04-07T09:00:00.000Z',
      end: '2020-04-07T10:00:00.000Z',
      url: 'https://meeting.example.com/meeting/9974-7653-8886-0485',
      rrule: 'FREQ=WEEKLY;COUNT=5', // ical.js drops the default INTERVAL=1
    });
    // Same title, different meeting: matched only by the number in LOCATION; end from DURATION.
    expect(second).toMatchObject({ meetingNumber: '1111-2222-3333-4444', end: '2020-04-08T09:45:00.000Z' });
    expect(second?.meetingId).toBeUndefined();
  });

  it('parses the same feed with LF line endings', () => {
    expect(parseFeed(feed.replace(/\r\n/g, '\n'))).toEqual(parseFeed(feed));
  });

  it('an empty VCALENDAR is an empty list, not an error', () => {
    expect(parseFeed('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n')).toEqual([]);
  });
});

describe('parseFeed on text that is not iCalendar', () => {
  const token = 'ce5494bc-d691-4caf-906c-bfa6403fdc71-feedtoken-unit';
  registerSecret(token);

  it.each([
    ['an HTML page', `<html><body>Login required for /api/v6/meeting/calender/user/${token}</body></html>`, /does not start with BEGIN:VCALENDAR/],
    ['an empty body', '', /the feed is empty/],
    ['a vCard', 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nEND:VCARD\r\n', /does not start with BEGIN:VCALENDAR/],
    ['an unterminated calendar', 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\n', /not valid iCalendar/],
    ['a broken parameter', `BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID="${token}:2020\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`, /not valid iCalendar/],
  ])('%s is one DataError line without the token', (_name, text, pattern) => {
    let caught: unknown;
    try {
      parseFeed(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DataError);
    const err = caught as DataError;
    expect(err.message).toMatch(/^the ICS feed of a user is not valid iCalendar: /);
    expect(err.message).toMatch(pattern);
    expect(err.message).not.toContain('\n');
    for (const rendered of [err.message, String(err), err.stack ?? '', JSON.stringify(err), String(err.cause)]) {
      expect(rendered).not.toContain(token);
    }
  });
});

describe('assumptions: feed matching and "already gone"', () => {
  it('a 24-hex id counts only when it stands alone', () => {
    expect(findMeetingId('x 5e945c36b863b82cefdddf54 y')).toBe('5e945c36b863b82cefdddf54');
    expect(findMeetingId('5e945c36b863b82cefdddf54@host')).toBe('5e945c36b863b82cefdddf54');
    expect(findMeetingId('a5e945c36b863b82cefdddf54')).toBeUndefined();
    expect(findMeetingId('5e945c36b863b82cefdddf540')).toBeUndefined();
  });

  it('a dashed number counts only when it stands alone', () => {
    expect(findMeetingNumber('/meeting/9974-7653-8886-0485?x=1')).toBe('9974-7653-8886-0485');
    expect(findMeetingNumber('19974-7653-8886-0485')).toBeUndefined();
    expect(findMeetingNumber('9974-7653-8886-0485-1')).toBeUndefined();
  });

  it('a 404 without the envelope, or naming a missing route, is not proof the meeting is gone', () => {
    expect(isAlreadyGone(404, -99, 'meeting not found')).toBe(true);
    expect(isAlreadyGone(404, -99, undefined)).toBe(true);
    expect(isAlreadyGone(200, -99, 'Meeting not found')).toBe(true);
    expect(isAlreadyGone(410, undefined, undefined)).toBe(true);
    expect(isAlreadyGone(404, undefined, 'Cannot DELETE /api/v6/meeting/x')).toBe(false);
    expect(isAlreadyGone(404, -99, 'simulator: no endpoint DELETE /api/v6/meetings/x')).toBe(false);
    expect(isAlreadyGone(200, -99, 'internal error')).toBe(false);
    expect(isAlreadyGone(403, -3, 'not allowed')).toBe(false);
  });
});
