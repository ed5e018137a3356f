import { DateTime } from 'luxon';
import { z } from 'zod';
import type { CalendarEvent, EventKind, MeetingStamp } from '../../domain/event.js';
import { MalformedResponseError } from '../../domain/errors.js';
import { quoted } from '../../domain/printable.js';
import { bodyText, type GraphBody } from './body.js';
import { rruleOf } from './recurrence.js';
import { ianaZoneOf } from './zones.js';
import { parseWith } from '../parse-response.js';

/**
 * Microsoft Graph event JSON, parsed with a schema and mapped to the provider-neutral
 * CalendarEvent. Written from the v1.0 event resource (learn.microsoft.com/graph/api/resources/event)
 * and checked against the samples in test/fixtures/graph/; only what meetsync reads is kept and
 * unknown fields are ignored (the beta sample carries PascalCase extras such as IsRoomRequested).
 * Nothing here imports the Graph client: vendor types stop at this file.
 */

/**
 * The extended property that carries our stamp on the organizer's copy. A named property in our
 * own namespace (extended-properties-overview.md, "{type} {guid} Name {name}"); the GUID was
 * generated once for meetsync (a random v4 UUID) and must never change, or stamps written before
 * could not be read back.
 */
export const STAMP_PROPERTY_ID = 'String {7aad8c08-a2d9-461c-bfe8-91c08c796632} Name meetsyncMeetingId';

const text = z.string().nullish();

const dateTimeTimeZoneSchema = z.object({ dateTime: z.string(), timeZone: text });

const graphEventSchema = z.object({
  // A removed item carries little more than its id (delta-query-events.md, "next round").
  id: z.string().min(1),
  '@odata.etag': text,
  '@removed': z.object({ reason: text }).nullish(),
  changeKey: text,
  type: text,
  seriesMasterId: text,
  originalStart: text,
  originalStartTimeZone: text,
  subject: text,
  body: z.object({ contentType: text, content: text }).nullish(),
  location: z.object({ displayName: text }).nullish(),
  categories: z.array(z.string()).nullish(),
  start: dateTimeTimeZoneSchema.nullish(),
  end: dateTimeTimeZoneSchema.nullish(),
  isAllDay: z.boolean().nullish(),
  isCancelled: z.boolean().nullish(),
  isOrganizer: z.boolean().nullish(),
  organizer: z.object({ emailAddress: z.object({ address: text }).nullish() }).nullish(),
  iCalUId: text,
  // The beta sample names it `uid` (beta-calendarview-delta-full-events.json).
  uid: text,
  lastModifiedDateTime: text,
  recurrence: z
    .object({
      pattern: z.object({
        type: z.string(),
        interval: z.number().nullish(),
        month: z.number().nullish(),
        dayOfMonth: z.number().nullish(),
        daysOfWeek: z.array(z.string()).nullish(),
        firstDayOfWeek: text,
        index: text,
      }),
      range: z.object({
        type: z.string(),
        startDate: text,
        endDate: text,
        numberOfOccurrences: z.number().nullish(),
        recurrenceTimeZone: text,
      }),
    })
    .nullish(),
  singleValueExtendedProperties: z.array(z.object({ id: z.string(), value: text })).nullish(),
});

const deltaPageSchema = z.object({
  value: z.array(graphEventSchema),
  '@odata.nextLink': text,
  '@odata.deltaLink': text,
});

/** The stamp's value: JSON, so a meeting number with any characters survives. */
const stampValueSchema = z.object({
  meetingId: z.string().min(1),
  meetingNumber: z.string().nullish(),
  // The organizer's platform user and account (MeetingStamp); absent on stamps written before issue 15.
  userId: z.string().nullish(),
  accountId: z.string().nullish(),
});

export type GraphEvent = z.infer<typeof graphEventSchema>;
export type GraphDeltaPage = z.infer<typeof deltaPageSchema>;

/** Parses one calendarView/delta page; throws MalformedResponseError naming the first bad field. */
export function parseDeltaPage(data: unknown, what = 'Graph calendarView/delta'): GraphDeltaPage {
  return parseWith(deltaPageSchema, data, what);
}

/** Parses the body of an event GET or PATCH. */
export function parseGraphEvent(data: unknown, what = 'Graph event GET'): GraphEvent {
  return parseWith(graphEventSchema, data, what);
}

/**
 * True when a delta item lacks what the mapping needs, so the adapter GETs the event instead:
 * delta may send occurrences with only id, type, start, end and seriesMasterId
 * (../shared/notes/PROVIDERS.md), and the documentation samples leave out isOrganizer, type and
 * categories ("For brevity, the sample responses show only a subset of the properties",
 * delta-query-events.md). Without isOrganizer an item cannot be told from an attendee's copy.
 */
export function isStripped(event: GraphEvent): boolean {
  return (
    event.type == null ||
    event.isOrganizer == null ||
    event.subject == null ||
    event.body == null ||
    event.categories == null ||
    event.start == null ||
    event.end == null
  );
}

/** The body as our code handles it: HTML unless Graph says text. */
export function graphBodyOf(event: GraphEvent): GraphBody {
  const type = event.body?.contentType?.toLowerCase() === 'text' ? 'text' : 'html';
  return { contentType: type, content: event.body?.content ?? '' };
}

/** Reads our stamp from an event GET with `$expand`; an empty value is a cleared stamp. */
export function stampOf(event: GraphEvent): MeetingStamp | undefined {
  const wanted = STAMP_PROPERTY_ID.toLowerCase();
  const value = event.singleValueExtendedProperties?.find((p) => p.id.toLowerCase() === wanted)?.value;
  if (!value) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return undefined;
  }
  const parsed = stampValueSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { meetingId, meetingNumber, userId, accountId } = parsed.data;
  return { meetingId, ...(meetingNumber ? { meetingNumber } : {}), ...(userId ? { userId } : {}), ...(accountId ? { accountId } : {}) };
}

/** The extended property value that stamps `stamp` (the empty string clears it: Graph documents no delete). */
export function stampValue(stamp: MeetingStamp | null): string {
  if (!stamp) return '';
  const who = { ...(stamp.userId ? { userId: stamp.userId } : {}), ...(stamp.accountId ? { accountId: stamp.accountId } : {}) };
  return JSON.stringify({ meetingId: stamp.meetingId, meetingNumber: stamp.meetingNumber ?? '', ...who });
}

/**
 * A Graph dateTimeTimeZone as a UTC instant. We ask for UTC (`Prefer: outlook.timezone="UTC"`),
 * but a server may answer in the event's zone with a Windows name and no offset
 * (event-get-prefer-pacific.json: "2017-04-21T10:00:00.0000000", "Pacific Standard Time").
 */
export function graphTimeToUtc(value: z.infer<typeof dateTimeTimeZoneSchema>, field: string, what: string): string {
  const zone = value.timeZone ? ianaZoneOf(value.timeZone) : 'UTC';
  if (!zone) throw new MalformedResponseError(what, `${field}.timeZone`, `unknown time zone ${quoted(value.timeZone ?? '')}`);
  const parsed = DateTime.fromISO(value.dateTime, { zone });
  if (!parsed.isValid) throw new MalformedResponseError(what, `${field}.dateTime`, `unreadable time ${quoted(value.dateTime)} (${parsed.invalidReason})`);
  return parsed.toUTC().toISO() ?? value.dateTime;
}

function kindOf(event: GraphEvent): EventKind {
  const type = event.type?.toLowerCase();
  if (type === 'seriesmaster' || (!type && event.recurrence)) return 'series';
  if (type === 'occurrence' || type === 'exception' || (!type && event.seriesMasterId)) return 'occurrence';
  return 'single';
}

function instant(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const parsed = DateTime.fromISO(value, { zone: 'UTC' });
  return parsed.isValid ? (parsed.toUTC().toISO() ?? undefined) : undefined;
}

export interface MappingContext {
  source: string;
  calendarId: string;
  /** Names the call in error messages. */
  what?: string;
}

/**
 * Maps one parsed Graph event. The caller has completed stripped items with a GET; an item that
 * is still partial maps conservatively: no isOrganizer means an attendee's copy (never acted on).
 */
export function toCalendarEvent(event: GraphEvent, context: MappingContext): CalendarEvent {
  const what = context.what ?? `Graph event ${event.id}`;
  const kind = kindOf(event);
  // A series is expanded in its own zone (DST), which the range names, else the event
  // (recurrencerange.md). Single events keep the zone they were planned in, for the platform.
  const zoneName = (kind === 'series' ? event.recurrence?.range.recurrenceTimeZone : undefined) ?? event.originalStartTimeZone;
  const timeZone = ianaZoneOf(zoneName);
  const mapped: CalendarEvent = {
    source: context.source,
    calendarId: context.calendarId,
    eventId: event.id,
    isOrganizerCopy: event.isOrganizer === true,
    status: event.isCancelled === true || event['@removed'] ? 'cancelled' : 'confirmed',
    kind,
    title: event.subject ?? '',
    description: bodyText(event.body ? graphBodyOf(event) : undefined),
    location: event.location?.displayName ?? '',
    categories: [...(event.categories ?? [])],
    allDay: event.isAllDay === true,
  };
  if (event.start) mapped.start = graphTimeToUtc(event.start, 'start', what);
  if (event.end) mapped.end = graphTimeToUtc(event.end, 'end', what);
  if (timeZone) mapped.timeZone = timeZone;
  const uid = event.iCalUId ?? event.uid;
  if (uid) mapped.iCalUid = uid;
  const organizer = event.organizer?.emailAddress?.address;
  if (organizer) mapped.organizerEmail = organizer.toLowerCase();
  if (kind === 'series' && event.recurrence) mapped.recurrence = rruleOf(event.recurrence, timeZone);
  if (kind === 'occurrence' && event.seriesMasterId) mapped.seriesId = event.seriesMasterId;
  const originalStart = kind === 'occurrence' ? instant(event.originalStart) : undefined;
  if (originalStart) mapped.originalStart = originalStart;
  const stamp = stampOf(event);
  if (stamp) mapped.stamp = stamp;
  const etag = event['@odata.etag'] ?? event.changeKey;
  if (etag) mapped.etag = etag;
  const updated = instant(event.lastModifiedDateTime);
  if (updated) mapped.updated = updated;
  return mapped;
}

/** A deletion the provider confirmed (GET 404): a cancelled event carrying only its identity. */
export function tombstone(eventId: string, context: MappingContext): CalendarEvent {
  return {
    source: context.source,
    calendarId: context.calendarId,
    eventId,
    isOrganizerCopy: false,
    status: 'cancelled',
    kind: 'single',
    title: '',
    description: '',
    location: '',
    categories: [],
    allDay: false,
  };
}
