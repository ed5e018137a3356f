import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { badRequest } from './errors.js';
import {
  checkDateTime,
  durationMs,
  formatInZone,
  instanceId,
  originalStartTime,
  presentDateTime,
  type Occurrence,
} from './time.js';
import type { GoogleEvent, GoogleEventDateTime } from './types.js';

/**
 * Pure helpers on one event resource: building it from a request body, merging a PATCH,
 * deriving an instance from its series, and rendering the copy one calendar sees.
 * Field rules come from the Event schema in calendar.v3.json and the events.patch / update pages.
 */

/** Fields the server owns (the Event schema marks them read-only or immutable). `id` may be
 * chosen on insert and is ignored afterwards. */
const SERVER_FIELDS = new Set([
  'kind', 'etag', 'htmlLink', 'created', 'updated', 'creator', 'organizer', 'iCalUID',
  'recurringEventId', 'originalStartTime', 'hangoutLink', 'locked',
]);

/** Changes that make a "significant revision" and raise SEQUENCE (RFC 5545 3.8.7.4). The compass
 * fixtures agree: retitled instances keep sequence 0, moved ones have 1. */
const SIGNIFICANT = ['start', 'end', 'recurrence'] as const;

/** base32hex, lowercase, 26 characters: the shape of Google's generated ids (Event.id). */
export function newEventId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  return Array.from(randomBytes(26), (b) => alphabet[b & 31]).join('');
}

/** Event.id: "characters allowed ... base32hex ... the length of the ID must be between 5 and 1024". */
export function checkEventId(id: string): void {
  if (!/^[0-9a-v]{5,1024}$/.test(id)) throw badRequest('Invalid resource id value.', 'id');
}

export function nowIso(): string {
  return new Date().toISOString();
}

export function htmlLink(calendarId: string, eventId: string): string {
  // The eid is base64 of "<eventId> <calendar>" (see SOURCES.md on the compass fixtures).
  const eid = Buffer.from(`${eventId} ${calendarId}`).toString('base64').replace(/=+$/, '');
  return `https://www.google.com/calendar/event?eid=${eid}`;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The client-writable fields of a request body. */
export function writable(body: unknown): Partial<GoogleEvent> {
  if (!isPlainObject(body)) throw badRequest('Parse Error', undefined, 'parseError');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!SERVER_FIELDS.has(k)) out[k] = v;
  return out as Partial<GoogleEvent>;
}

/**
 * events.patch: "patch semantics" - fields given replace those stored, nested objects merge field
 * by field (so extendedProperties.private merges key by key), arrays replace, null clears.
 */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isPlainObject(value) && isPlainObject(out[key])) out[key] = mergePatch(out[key] as Record<string, unknown>, value);
    else out[key] = clone(value);
  }
  return out;
}

/** A start/end patch switches between date and dateTime instead of keeping both. */
export function patchDateTime(current: GoogleEventDateTime | undefined, patch: GoogleEventDateTime): GoogleEventDateTime {
  const merged = mergePatch(current ? { ...current } : {}, patch as Record<string, unknown>) as GoogleEventDateTime;
  if (patch.date !== undefined && patch.dateTime === undefined) delete merged.dateTime;
  if (patch.dateTime !== undefined && patch.date === undefined) delete merged.date;
  if (patch.date !== undefined && patch.timeZone === undefined) delete merged.timeZone;
  return merged;
}

/** Checks the fields every stored event must satisfy and normalizes dateTimes to carry offsets. */
export function validate(event: GoogleEvent): void {
  if (event.status === 'cancelled' && !event.start) return;
  const recurring = (event.recurrence?.length ?? 0) > 0;
  checkDateTime(event.start, 'start', recurring);
  checkDateTime(event.end, 'end', recurring);
  if ((event.start!.date === undefined) !== (event.end!.date === undefined)) {
    throw badRequest('Start and end times must either both be date or both be dateTime.');
  }
  event.start = presentDateTime(event.start!, event.start!.timeZone ?? 'UTC');
  event.end = presentDateTime(event.end!, event.end!.timeZone ?? 'UTC');
  if (!['confirmed', 'tentative', 'cancelled'].includes(event.status)) throw badRequest('Invalid value for: status', 'status');
  if (event.attendees) {
    for (const a of event.attendees) {
      if (!a.email) throw badRequest('Missing attendee email.', undefined, 'required');
      a.responseStatus ??= 'needsAction';
    }
  }
}

export function significantChange(before: GoogleEvent, after: GoogleEvent): boolean {
  return SIGNIFICANT.some((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null));
}

/** A new event as events.insert creates it on `calendarId`, before etag/updated are stamped. */
export function buildNew(calendarId: string, input: Partial<GoogleEvent>, id: string): GoogleEvent {
  const now = nowIso();
  const event: GoogleEvent = {
    ...clone(input),
    kind: 'calendar#event',
    etag: '',
    id,
    status: input.status ?? 'confirmed',
    htmlLink: htmlLink(calendarId, id),
    created: now.replace(/\.\d{3}Z$/, '.000Z'),
    updated: now,
    creator: { email: calendarId },
    organizer: { email: calendarId },
    iCalUID: input.iCalUID ?? `${id}@google.com`,
    sequence: input.sequence ?? 0,
    reminders: input.reminders ?? { useDefault: true },
    eventType: input.eventType ?? 'default',
  };
  // Read-only fields are not taken from the body (the Event schema marks them so).
  delete event.recurringEventId;
  delete event.originalStartTime;
  return event;
}

/** The instance of `master` at `occurrence` as Google presents one without an exception. */
export function deriveInstance(master: GoogleEvent, occurrence: Occurrence, calendarId: string): GoogleEvent {
  const { recurrence: _r, ...rest } = clone(master);
  const zone = master.start?.timeZone ?? 'UTC';
  const start: GoogleEventDateTime =
    occurrence.date !== undefined
      ? { date: occurrence.date }
      : { dateTime: formatInZone(occurrence.startMs, zone), ...(master.start?.timeZone ? { timeZone: zone } : {}) };
  const end: GoogleEventDateTime =
    occurrence.date !== undefined
      ? { date: DateTime.fromISO(occurrence.date).plus({ days: Math.round(durationMs(master) / 86_400_000) }).toISODate()! }
      : { dateTime: formatInZone(occurrence.startMs + durationMs(master), zone), ...(master.end?.timeZone ? { timeZone: master.end.timeZone } : {}) };
  const id = instanceId(master.id, occurrence);
  return {
    ...rest,
    id,
    htmlLink: htmlLink(calendarId, id),
    start,
    end,
    recurringEventId: master.id,
    originalStartTime: originalStartTime(master, occurrence),
  };
}

/**
 * The resource one calendar sees. Event.status: a deleted event "is only guaranteed to have the
 * id field populated", a cancelled exception "id, recurringEventId and originalStartTime"; details
 * survive only on the organizer's calendar (and only when showDeleted asks for them).
 */
export function present(event: GoogleEvent, calendarId: string, zone: string, detail: boolean): GoogleEvent {
  if (event.status === 'cancelled' && !detail) {
    const minimal: GoogleEvent = { kind: 'calendar#event', etag: event.etag, id: event.id, status: 'cancelled' };
    if (event.recurringEventId) {
      minimal.recurringEventId = event.recurringEventId;
      if (event.originalStartTime) minimal.originalStartTime = presentDateTime(event.originalStartTime, zone);
    }
    return minimal;
  }
  const out = clone(event);
  const me = calendarId.toLowerCase();
  for (const person of [out.creator, out.organizer]) {
    if (!person) continue;
    if (person.email?.toLowerCase() === me) person.self = true;
    else delete person.self;
  }
  for (const a of out.attendees ?? []) {
    if (a.email?.toLowerCase() === me) a.self = true;
    else delete a.self;
    if (a.email?.toLowerCase() === out.organizer?.email?.toLowerCase()) a.organizer = true;
  }
  if (out.start) out.start = presentDateTime(out.start, zone);
  if (out.end) out.end = presentDateTime(out.end, zone);
  if (out.originalStartTime) out.originalStartTime = presentDateTime(out.originalStartTime, zone);
  return out;
}

/** What attendees' copies share with the organizer's: everything but per-calendar state. */
export function sharedView(event: GoogleEvent): string {
  const { etag: _e, updated: _u, htmlLink: _h, reminders: _r, extendedProperties, ...rest } = event;
  return JSON.stringify({ ...rest, shared: extendedProperties?.shared ?? null });
}
