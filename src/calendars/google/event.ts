import { DateTime } from 'luxon';
import { z } from 'zod';
import type { CalendarEvent, EventKind, EventStatus, MeetingStamp } from '../../domain/event.js';
import { MalformedResponseError } from '../../domain/errors.js';
import { quoted } from '../../domain/printable.js';
import { parseWith } from '../parse-response.js';

/**
 * Google Calendar's event JSON, parsed with a schema and mapped to the provider-neutral
 * CalendarEvent. The schemas are written from the Event resource of the Calendar API v3
 * discovery document (test/fixtures/google/calendar.v3.json) and keep only what meetsync reads;
 * unknown fields are ignored, so new Google fields never break a sync. Nothing here imports
 * googleapis: vendor types stop at this file.
 */

/** The private extended properties that carry our stamp (one calendar's copy only). */
export const STAMP_MEETING_ID = 'meetsyncMeetingId';
export const STAMP_MEETING_NUMBER = 'meetsyncMeetingNumber';
/** The organizer's platform user and account (MeetingStamp); absent on stamps written before issue 15. */
export const STAMP_USER_ID = 'meetsyncUserId';
export const STAMP_ACCOUNT_ID = 'meetsyncAccountId';

const text = z.string().nullish();

const eventDateTimeSchema = z.object({
  date: text,
  dateTime: text,
  timeZone: text,
});

const personSchema = z.object({
  email: text,
  self: z.boolean().nullish(),
});

const googleEventSchema = z.object({
  // A deleted event guarantees only `id` and `status` (guides/sync, "Deleted events"), so
  // `id` is the one field every item must have.
  id: z.string().min(1),
  status: text,
  etag: text,
  iCalUID: text,
  summary: text,
  description: text,
  location: text,
  updated: text,
  organizer: personSchema.nullish(),
  start: eventDateTimeSchema.nullish(),
  end: eventDateTimeSchema.nullish(),
  recurrence: z.array(z.string()).nullish(),
  recurringEventId: text,
  originalStartTime: eventDateTimeSchema.nullish(),
  eventType: text,
  extendedProperties: z
    .object({
      private: z.record(z.string(), z.string()).nullish(),
      shared: z.record(z.string(), z.string()).nullish(),
    })
    .nullish(),
});

const eventsPageSchema = z.object({
  items: z.array(googleEventSchema).nullish(),
  nextPageToken: text,
  nextSyncToken: text,
  /** The calendar's zone; all-day events without their own zone are read in it. */
  timeZone: text,
});

/** One Google event as meetsync reads it (our schema's shape, not googleapis' type). */
export type GoogleEvent = z.infer<typeof googleEventSchema>;
export type GoogleEventsPage = z.infer<typeof eventsPageSchema>;
type GoogleEventDateTime = z.infer<typeof eventDateTimeSchema>;

/** Parses one page of events.list; throws MalformedResponseError naming the first bad field. */
export function parseEventsPage(data: unknown, what = 'Google events.list'): GoogleEventsPage {
  return parseWith(eventsPageSchema, data, what);
}

/** Parses the body of events.get or events.patch. */
export function parseEvent(data: unknown, what = 'Google events.get'): GoogleEvent {
  return parseWith(googleEventSchema, data, what);
}

/**
 * A Google start/end/originalStartTime as a UTC instant (ISO-8601 with Z).
 * - `dateTime` carries an offset in responses (Event resource: "A time zone offset is required
 *   unless a time zone is explicitly specified in timeZone"); without one, it is read in
 *   `timeZone`, then the calendar's zone, then UTC.
 * - An all-day `date` has no instant of its own. We use 00:00 of that date in the event's zone,
 *   else the calendar's zone (the list response's `timeZone`), else UTC, so "the 24th" starts
 *   when the 24th starts where the organizer lives. An all-day end date is exclusive
 *   (the Event resource's `end.date`), so it maps to 00:00 of the day after the event.
 */
export function googleTimeToUtc(
  value: GoogleEventDateTime,
  calendarTimeZone: string | undefined,
  field: string,
  what: string,
): { instant: string; allDay: boolean } | undefined {
  const zone = value.timeZone ?? calendarTimeZone ?? 'UTC';
  let parsed: DateTime;
  let allDay = false;
  if (value.dateTime) {
    parsed = DateTime.fromISO(value.dateTime, { zone, setZone: false });
  } else if (value.date) {
    parsed = DateTime.fromISO(value.date, { zone }).startOf('day');
    allDay = true;
  } else {
    return undefined;
  }
  if (!parsed.isValid) {
    // An unknown zone name makes luxon invalid too; say which value was bad.
    const shown = value.dateTime ?? value.date ?? '';
    throw new MalformedResponseError(what, field, `unreadable time ${quoted(shown)} (zone ${quoted(zone)}): ${parsed.invalidReason}`);
  }
  return { instant: parsed.toUTC().toISO() ?? '', allDay };
}

/**
 * Google's event types whose writable fields are restricted, so that the join details (description,
 * location, a private extended property) cannot be written: the Event resource's `eventType`
 * ("Specific type of the event. This cannot be modified after the event is created": birthday,
 * default, focusTime, fromGmail, outOfOffice, workingLocation; discovery document
 * test/fixtures/google/calendar.v3.json) and developers.google.com/workspace/calendar/api/guides/
 * event-types ("Different event types have different restrictions"): a birthday takes changes to
 * colorId, summary, reminders and its one-day start/end only; an event from Gmail to reminders,
 * colorId, visibility, status and extendedProperties only (Workspace Updates, 2024-05-30, "The
 * Calendar API now distinguishes events created from Gmail"), and its description, where the
 * link goes, was never the organizer's; focus time, out of office and working location are a
 * person's status on their primary calendar (guides/calendar-status), not meetings with guests,
 * and an update "must maintain the required fields" of the type. Google answers a write it does
 * not allow 400 `eventTypeRestriction`. Such an event is skipped with this reason, never sent to
 * the platform, never patched. Any other type (default, or one Google adds later) is an event.
 */
const RESTRICTED_EVENT_TYPES: Readonly<Record<string, string>> = {
  focusTime: 'a focus time block',
  outOfOffice: 'an out-of-office entry',
  workingLocation: 'a working location entry',
  birthday: 'a birthday',
  fromGmail: 'an event Gmail created from an email',
};

/** Why a Google event of this type cannot carry a join link, or undefined when it can. */
export function eventTypeRestriction(eventType: string | null | undefined): string | undefined {
  const what = eventType ? RESTRICTED_EVENT_TYPES[eventType] : undefined;
  if (!what) return undefined;
  return `Google event type ${eventType} (${what}): Google restricts which of its fields can be written, so it cannot carry a join link; put the meeting in a regular event`;
}

function statusOf(status: string | null | undefined): EventStatus {
  // The Event resource documents confirmed, tentative and cancelled; anything new counts as
  // confirmed, so only an explicit cancellation ever cancels a meeting.
  if (status === 'cancelled') return 'cancelled';
  if (status === 'tentative') return 'tentative';
  return 'confirmed';
}

function stampOf(event: GoogleEvent): MeetingStamp | undefined {
  const props = event.extendedProperties?.private;
  const meetingId = props?.[STAMP_MEETING_ID];
  if (!meetingId) return undefined;
  const meetingNumber = props[STAMP_MEETING_NUMBER];
  const userId = props[STAMP_USER_ID];
  const accountId = props[STAMP_ACCOUNT_ID];
  return { meetingId, ...(meetingNumber ? { meetingNumber } : {}), ...(userId ? { userId } : {}), ...(accountId ? { accountId } : {}) };
}

/** Where an event came from, for the mapping. */
export interface MappingContext {
  source: string;
  calendarId: string;
  /** The calendar's zone, from the events.list response. */
  calendarTimeZone?: string;
  /** Names the call in error messages. */
  what?: string;
}

/**
 * Maps one parsed Google event. Cancelled items are often stripped to `id` + `status` (or a
 * cancelled occurrence to `id`, `recurringEventId`, `originalStartTime`): they map to status
 * 'cancelled' with empty text fields, keyed by event id (guides/sync). Such a stripped item has
 * no organizer, so it maps to isOrganizerCopy false; the engine must match it by id.
 */
export function toCalendarEvent(event: GoogleEvent, context: MappingContext): CalendarEvent {
  const what = context.what ?? 'Google event';
  const zone = context.calendarTimeZone;
  const start = event.start ? googleTimeToUtc(event.start, zone, 'start', what) : undefined;
  const end = event.end ? googleTimeToUtc(event.end, zone, 'end', what) : undefined;
  const original = event.originalStartTime
    ? googleTimeToUtc(event.originalStartTime, event.start?.timeZone ?? zone, 'originalStartTime', what)
    : undefined;
  const recurrence = event.recurrence && event.recurrence.length > 0 ? [...event.recurrence] : undefined;
  let kind: EventKind = 'single';
  if (event.recurringEventId) kind = 'occurrence';
  else if (recurrence) kind = 'series';

  const mapped: CalendarEvent = {
    source: context.source,
    calendarId: context.calendarId,
    eventId: event.id,
    // An attendee's copy is never the organizer's: only `organizer.self` says it is ours
    // (PROVIDERS.md, "Attendee copies").
    isOrganizerCopy: event.organizer?.self === true,
    status: statusOf(event.status),
    kind,
    title: event.summary ?? '',
    description: event.description ?? '',
    location: event.location ?? '',
    categories: [],
    allDay: start?.allDay ?? false,
  };
  if (event.iCalUID) mapped.iCalUid = event.iCalUID;
  if (event.organizer?.email) mapped.organizerEmail = event.organizer.email.toLowerCase();
  if (start) mapped.start = start.instant;
  if (end) mapped.end = end.instant;
  const timeZone = event.start?.timeZone ?? zone;
  if (timeZone) mapped.timeZone = timeZone;
  if (recurrence) mapped.recurrence = recurrence;
  if (event.recurringEventId) mapped.seriesId = event.recurringEventId;
  if (original) mapped.originalStart = original.instant;
  const stamp = stampOf(event);
  if (stamp) mapped.stamp = stamp;
  const restriction = eventTypeRestriction(event.eventType);
  if (restriction) mapped.writeRestriction = restriction;
  if (event.etag) mapped.etag = event.etag;
  if (event.updated) {
    const updated = DateTime.fromISO(event.updated, { zone: 'UTC' });
    if (updated.isValid) mapped.updated = updated.toUTC().toISO() ?? event.updated;
  }
  return mapped;
}
