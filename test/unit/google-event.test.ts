import { describe, expect, it } from 'vitest';
import { parseEvent, parseEventsPage, toCalendarEvent } from '../../src/calendars/google/event.js';
import { MalformedResponseError } from '../../src/domain/errors.js';

const context = { source: 'corp-google', calendarId: 'alice@example.test' };

function map(raw: unknown, calendarTimeZone?: string) {
  return toCalendarEvent(parseEvent(raw), { ...context, ...(calendarTimeZone ? { calendarTimeZone } : {}) });
}

describe('Google event mapping', () => {
  it('turns offset date-times into UTC instants and keeps the zone the event was planned in', () => {
    const event = map({
      id: 'abc123',
      status: 'confirmed',
      summary: 'Standup',
      organizer: { email: 'Alice@Example.TEST', self: true },
      start: { dateTime: '2025-03-24T07:30:00-05:00', timeZone: 'America/Chicago' },
      end: { dateTime: '2025-03-24T08:15:00-05:00', timeZone: 'America/Chicago' },
    });

    expect(event).toMatchObject({
      source: 'corp-google',
      calendarId: 'alice@example.test',
      eventId: 'abc123',
      start: '2025-03-24T12:30:00.000Z',
      end: '2025-03-24T13:15:00.000Z',
      timeZone: 'America/Chicago',
      allDay: false,
      kind: 'single',
      organizerEmail: 'alice@example.test',
      isOrganizerCopy: true,
      description: '',
      location: '',
      categories: [],
    });
  });

  it('reads a date-time without offset in its own zone (the request style Google also accepts)', () => {
    const event = map({ id: 'e1', start: { dateTime: '2025-07-01T09:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2025-07-01T10:00:00', timeZone: 'Europe/Berlin' } });

    expect(event.start).toBe('2025-07-01T07:00:00.000Z');
  });

  it('starts an all-day event at midnight in the calendar zone, end date exclusive, or in UTC without a zone', () => {
    const raw = { id: 'allday1', start: { date: '2025-03-24' }, end: { date: '2025-03-25' } };

    expect(map(raw, 'America/Chicago')).toMatchObject({
      allDay: true,
      start: '2025-03-24T05:00:00.000Z',
      end: '2025-03-25T05:00:00.000Z',
      timeZone: 'America/Chicago',
    });
    expect(map(raw)).toMatchObject({ allDay: true, start: '2025-03-24T00:00:00.000Z', end: '2025-03-25T00:00:00.000Z' });
    expect(map(raw).timeZone).toBeUndefined();
  });

  it("never takes an attendee's copy for the organizer's", () => {
    const copy = { id: 'inv1', organizer: { email: 'carol@example.test' }, start: { dateTime: '2025-03-24T09:00:00Z' }, end: { dateTime: '2025-03-24T10:00:00Z' } };

    expect(map(copy).isOrganizerCopy).toBe(false);
    expect(map({ ...copy, organizer: { email: 'carol@example.test', self: false } }).isOrganizerCopy).toBe(false);
  });

  it('reads our stamp from the private extended properties', () => {
    const event = map({ id: 'e2', extendedProperties: { private: { meetsyncMeetingId: 'mtg-1', meetsyncMeetingNumber: '42', other: 'x' } } });

    expect(event.stamp).toEqual({ meetingId: 'mtg-1', meetingNumber: '42' });
    expect(map({ id: 'e3', extendedProperties: { shared: { meetsyncMeetingId: 'not ours' } } }).stamp).toBeUndefined();
  });

  it('maps masters, occurrences and cancelled occurrences by their Google identity', () => {
    const master = map({ id: 's1', recurrence: ['RRULE:FREQ=WEEKLY', 'EXDATE;TZID=Europe/Berlin:20250407T100000'], start: { dateTime: '2025-03-24T10:00:00+01:00', timeZone: 'Europe/Berlin' } });
    const cancelled = map({ id: 's1_20250331T080000Z', status: 'cancelled', recurringEventId: 's1', originalStartTime: { dateTime: '2025-03-31T10:00:00+02:00', timeZone: 'Europe/Berlin' } });

    expect(master).toMatchObject({ kind: 'series', recurrence: ['RRULE:FREQ=WEEKLY', 'EXDATE;TZID=Europe/Berlin:20250407T100000'] });
    expect(cancelled).toMatchObject({ kind: 'occurrence', status: 'cancelled', seriesId: 's1', originalStart: '2025-03-31T08:00:00.000Z', title: '' });
    expect(cancelled.start).toBeUndefined();
  });

  it('tolerates unknown fields, nulls and new status values, and cancels only on "cancelled"', () => {
    const event = map({ id: 'e4', status: 'someFutureStatus', summary: null, conferenceData: { entryPoints: [] }, workingLocationProperties: {} });

    expect(event).toMatchObject({ status: 'confirmed', title: '' });
    expect(map({ id: 'e5', status: 'tentative' }).status).toBe('tentative');
  });

  it('names the first bad field of a malformed page instead of crashing', () => {
    const attempt = () => parseEventsPage({ items: [{ id: 'ok' }, { summary: 'no id' }], nextSyncToken: 't' });

    expect(attempt).toThrow(MalformedResponseError);
    expect(attempt).toThrow(/items\[1\]\.id/);
    try {
      attempt();
    } catch (err) {
      expect((err as MalformedResponseError).field).toBe('items[1].id');
    }
  });

  it('reports an unreadable time with the field it came from', () => {
    expect(() => map({ id: 'e6', start: { dateTime: 'next tuesday' } })).toThrow(/start: unreadable time "next tuesday"/);
  });
});
