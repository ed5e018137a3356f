import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/calendars/memory.js';
import type { CalendarEvent } from '../../src/domain/event.js';
import { CalendarError } from '../../src/domain/errors.js';
import { describeCalendarSourceContract, type ContractEventInput, type Harness } from '../support/source-contract.js';

const ORGANIZER = 'alice@example.test';
const ATTENDEE = 'bob@example.test';

function harness(): Harness {
  const source = new MemorySource({ name: 'memory', calendars: [ORGANIZER, ATTENDEE] });
  let next = 0;
  const copies = new Map<string, string[]>();
  const base = (input: ContractEventInput, eventId: string, calendarId: string, organizer: boolean): Omit<CalendarEvent, 'source'> => ({
    calendarId,
    eventId,
    iCalUid: `${eventId}@memory`,
    organizerEmail: ORGANIZER,
    isOrganizerCopy: organizer,
    status: 'confirmed',
    kind: input.recurrence ? 'series' : 'single',
    title: input.title,
    description: input.description ?? '',
    location: input.location ?? '',
    categories: [],
    start: input.start,
    end: input.end,
    timeZone: input.timeZone ?? 'UTC',
    allDay: false,
    ...(input.recurrence ? { recurrence: input.recurrence } : {}),
  });
  return {
    source,
    calendarId: ORGANIZER,
    attendeeCalendarId: ATTENDEE,
    async createEvent(input) {
      next += 1;
      const id = `evt${next}`;
      source.put(base(input, id, ORGANIZER, true));
      const invited = (input.attendees ?? []).filter((a) => source.calendars.includes(a));
      for (const attendee of invited) source.put(base(input, id, attendee, false));
      copies.set(id, invited);
      return id;
    },
    async updateEvent(eventId, patch) {
      const change = {
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.start !== undefined ? { start: patch.start } : {}),
        ...(patch.end !== undefined ? { end: patch.end } : {}),
      };
      source.patch(ORGANIZER, eventId, change);
      for (const attendee of copies.get(eventId) ?? []) source.patch(attendee, eventId, change);
    },
    async deleteEvent(eventId) {
      source.remove(ORGANIZER, eventId);
      for (const attendee of copies.get(eventId) ?? []) source.remove(attendee, eventId);
    },
    async expireCursor() {
      source.expireCursors();
    },
    async rawEvent(eventId, calendarId = ORGANIZER) {
      const event = source.peek(calendarId, eventId);
      return event ? { description: event.description, location: event.location } : undefined;
    },
    countWrites: () => source.writes,
    async close() {},
  };
}

describeCalendarSourceContract('MemorySource', async () => harness());

describe('MemorySource (test double for the sync engine)', () => {
  const window = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z') };
  const event = (eventId: string, extra: Partial<CalendarEvent> = {}): Omit<CalendarEvent, 'source'> => ({
    calendarId: ORGANIZER,
    eventId,
    isOrganizerCopy: true,
    status: 'confirmed',
    kind: 'single',
    title: eventId,
    description: '',
    location: '',
    categories: [],
    start: '2026-01-10T09:00:00.000Z',
    end: '2026-01-10T10:00:00.000Z',
    allDay: false,
    ...extra,
  });

  it('counts calls and throws an injected failure once, on the method it was injected for', async () => {
    const source = new MemorySource({ name: 'memory', calendars: [ORGANIZER] });
    const boom = new CalendarError('memory', ORGANIZER, 'HTTP 503', 503);
    source.failNext('readChanges', boom);

    await expect(source.readChanges(ORGANIZER, null, window)).rejects.toBe(boom);
    await expect(source.readChanges(ORGANIZER, null, window)).resolves.toMatchObject({ full: true });
    await source.getEvent(ORGANIZER, 'x');

    expect(source.calls).toEqual({ readChanges: 2, getEvent: 1, writeJoinDetails: 0, clearJoinDetails: 0, probe: 0 });
  });

  it('leaves events that ended before the window out of a full read, but keeps series', async () => {
    const source = new MemorySource({ name: 'memory', calendars: [ORGANIZER] });
    source.put(event('old', { start: '2025-06-01T09:00:00.000Z', end: '2025-06-01T10:00:00.000Z' }));
    source.put(event('series', { kind: 'series', start: '2025-06-01T09:00:00.000Z', end: '2025-06-01T10:00:00.000Z', recurrence: ['RRULE:FREQ=WEEKLY'] }));
    source.put(event('current'));

    const read = await source.readChanges(ORGANIZER, null, window);

    expect(read.events.map((e) => e.eventId).sort()).toEqual(['current', 'series']);
  });

  it('keeps series identity on a deleted occurrence, and purge makes getEvent answer null', async () => {
    const source = new MemorySource({ name: 'memory', calendars: [ORGANIZER] });
    source.put(event('s1', { kind: 'series', recurrence: ['RRULE:FREQ=DAILY'] }));
    source.put(event('s1_20260111T090000Z', { kind: 'occurrence', seriesId: 's1', originalStart: '2026-01-11T09:00:00.000Z' }));
    const first = await source.readChanges(ORGANIZER, null, window);

    source.remove(ORGANIZER, 's1_20260111T090000Z');
    const second = await source.readChanges(ORGANIZER, first.cursor, window);

    expect(second.events).toHaveLength(1);
    expect(second.events[0]).toMatchObject({
      eventId: 's1_20260111T090000Z',
      status: 'cancelled',
      seriesId: 's1',
      originalStart: '2026-01-11T09:00:00.000Z',
      title: '',
    });
    source.purge(ORGANIZER, 's1_20260111T090000Z');
    expect(await source.getEvent(ORGANIZER, 's1_20260111T090000Z')).toBeNull();
  });

  it('refuses write-back to a cancelled event and returns copies the caller cannot change', async () => {
    const source = new MemorySource({ name: 'memory', calendars: [ORGANIZER] });
    source.put(event('e1'));
    const read = await source.readChanges(ORGANIZER, null, window);
    read.events[0]!.title = 'mutated by the caller';
    expect((await source.getEvent(ORGANIZER, 'e1'))?.title).toBe('e1');

    source.remove(ORGANIZER, 'e1');
    await expect(
      source.writeJoinDetails(ORGANIZER, 'e1', { meetingId: 'm', meetingNumber: '1', joinUrl: 'https://x.test/j/1' }),
    ).rejects.toThrow(/cancelled/);
  });

  it('changes only description, location, stamp and etag on write-back', async () => {
    const source = new MemorySource({ name: 'memory', calendars: [ORGANIZER] });
    const before = source.put(event('e1', { description: 'Hello' }));

    const result = await source.writeJoinDetails(ORGANIZER, 'e1', { meetingId: 'm1', meetingNumber: '42', joinUrl: 'https://x.test/j/42' });
    const after = source.peek(ORGANIZER, 'e1')!;

    expect(result).toEqual({ changed: true, etag: after.etag });
    expect(after.etag).not.toBe(before.etag);
    const { description: _d, location: _l, stamp, etag: _e, ...rest } = after;
    const { description: _d0, location: _l0, etag: _e0, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
    expect(stamp).toEqual({ meetingId: 'm1', meetingNumber: '42' });
    expect(source.writes).toBe(1);
  });

  it('changes only description, location, stamp and etag on a clear, and counts it as one write', async () => {
    const source = new MemorySource({ name: 'memory', calendars: [ORGANIZER] });
    const before = source.put(event('e1', { description: 'Hello' }));
    await source.writeJoinDetails(ORGANIZER, 'e1', { meetingId: 'm1', meetingNumber: '42', joinUrl: 'https://x.test/j/42' });

    const result = await source.clearJoinDetails(ORGANIZER, 'e1');
    const after = source.peek(ORGANIZER, 'e1')!;

    expect(result).toEqual({ changed: true, etag: after.etag });
    const { etag: _e, ...rest } = after;
    const { etag: _e0, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
    expect('stamp' in after).toBe(false);
    expect(source.writes).toBe(2);
    expect(source.calls.clearJoinDetails).toBe(1);
  });

  it('throws an injected clear failure once', async () => {
    const source = new MemorySource({ name: 'memory', calendars: [ORGANIZER] });
    source.put(event('e1'));
    const boom = new CalendarError('memory', ORGANIZER, 'HTTP 503', 503);
    source.failNext('clearJoinDetails', boom);

    await expect(source.clearJoinDetails(ORGANIZER, 'e1')).rejects.toBe(boom);
    await expect(source.clearJoinDetails(ORGANIZER, 'e1')).resolves.toEqual({ changed: false, etag: source.peek(ORGANIZER, 'e1')!.etag });
  });
});
