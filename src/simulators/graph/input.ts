import { storedHtml } from './body.js';
import { badRequest, timeZoneNotSupported } from './errors.js';
import { ianaZone, wallClockToMillis } from './timezones.js';
import type { GraphAttendee, GraphExtendedProperty, GraphLocation } from './types.js';

/**
 * Request bodies of POST /events and PATCH /events/{id}, read as user-post-events.md and
 * event-update.md describe them. A property the event type does not have is refused the way
 * Graph's OData layer refuses it (RequestBodyRead); read-only properties are ignored.
 */

export interface TimeInput {
  ms: number;
  /** The zone name as written (Windows or IANA); becomes originalStartTimeZone / originalEndTimeZone. */
  zone: string;
}

export interface EventInput {
  subject?: string;
  bodyHtml?: string;
  start?: TimeInput;
  end?: TimeInput;
  isAllDay?: boolean;
  location?: GraphLocation;
  categories?: string[];
  attendees?: GraphAttendee[];
  /** Raw; normalized against the event's zone by the store. null removes it. */
  recurrence?: unknown;
  extended?: GraphExtendedProperty[];
  importance?: string;
  sensitivity?: string;
  showAs?: string;
  isReminderOn?: boolean;
  reminderMinutesBeforeStart?: number;
  responseRequested?: boolean;
  allowNewTimeProposals?: boolean;
  hideAttendees?: boolean;
  isOnlineMeeting?: boolean;
  onlineMeetingProvider?: string;
  transactionId?: string | null;
}

const READ_ONLY = new Set([
  'id', 'createdDateTime', 'lastModifiedDateTime', 'changeKey', 'iCalUId', 'uid', 'isOrganizer', 'isCancelled',
  'type', 'seriesMasterId', 'responseStatus', 'webLink', 'bodyPreview', 'hasAttachments', 'originalStart',
  'onlineMeeting', 'onlineMeetingUrl', 'isDraft', 'organizer', 'originalStartTimeZone', 'originalEndTimeZone',
  'locations', 'multiValueExtendedProperties',
]);

const BOOLEANS = ['isAllDay', 'isReminderOn', 'responseRequested', 'allowNewTimeProposals', 'hideAttendees', 'isOnlineMeeting'] as const;
const STRINGS = ['subject', 'importance', 'sensitivity', 'showAs', 'onlineMeetingProvider'] as const;

function invalid(property: string, expected: string): never {
  throw badRequest(`Invalid value for property '${property}': expected ${expected}.`);
}

function time(value: unknown, property: string): TimeInput {
  const v = (value ?? {}) as Record<string, unknown>;
  if (typeof v.dateTime !== 'string') invalid(`${property}.dateTime`, 'a date-time string');
  // A missing or empty timeZone is refused like an unknown one (TimeZoneNotSupportedException).
  const zone = typeof v.timeZone === 'string' ? v.timeZone : '';
  if (!ianaZone(zone)) throw timeZoneNotSupported(zone);
  const ms = wallClockToMillis(v.dateTime, zone);
  if (ms === undefined) invalid(`${property}.dateTime`, `an ISO 8601 date-time (got '${v.dateTime}')`);
  return { ms, zone };
}

function attendees(value: unknown): GraphAttendee[] {
  if (!Array.isArray(value)) invalid('attendees', 'an array');
  return value.map((a: Record<string, unknown>, i) => {
    const email = (a?.emailAddress ?? {}) as Record<string, unknown>;
    if (typeof email.address !== 'string' || email.address === '') invalid(`attendees[${i}].emailAddress.address`, 'an email address');
    const type = a.type === 'optional' || a.type === 'resource' ? a.type : 'required';
    return {
      type,
      status: { response: 'none', time: '0001-01-01T00:00:00Z' },
      emailAddress: { name: typeof email.name === 'string' ? email.name : email.address, address: email.address },
    };
  });
}

function extended(value: unknown): GraphExtendedProperty[] {
  if (!Array.isArray(value)) invalid('singleValueExtendedProperties', 'an array');
  return value.map((p: Record<string, unknown>, i) => {
    if (typeof p?.id !== 'string' || !/^\S+ (\{[0-9a-f-]{36}\} (Name|Id) \S.*|0x[0-9a-f]{1,4})$/i.test(p.id)) {
      invalid(`singleValueExtendedProperties[${i}].id`, "an id such as 'String {GUID} Name name'");
    }
    if (typeof p.value !== 'string') invalid(`singleValueExtendedProperties[${i}].value`, 'a string');
    return { id: p.id, value: p.value };
  });
}

export function parseEventInput(raw: unknown): EventInput {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('The request body must be a JSON object.');
  const body = raw as Record<string, unknown>;
  const input: EventInput = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.startsWith('@odata.') || READ_ONLY.has(key)) continue;
    if ((STRINGS as readonly string[]).includes(key)) {
      if (typeof value !== 'string') invalid(key, 'a string');
      (input as Record<string, unknown>)[key] = value;
    } else if ((BOOLEANS as readonly string[]).includes(key)) {
      if (typeof value !== 'boolean') invalid(key, 'true or false');
      (input as Record<string, unknown>)[key] = value;
    } else if (key === 'body') {
      const b = (value ?? {}) as Record<string, unknown>;
      const type = typeof b.contentType === 'string' ? b.contentType.toLowerCase() : 'text';
      if ((type !== 'html' && type !== 'text') || typeof b.content !== 'string') invalid('body', "{contentType: 'html'|'text', content: string}");
      input.bodyHtml = storedHtml(type, b.content);
    } else if (key === 'start' || key === 'end') {
      input[key] = time(value, key);
    } else if (key === 'location') {
      const l = (value ?? {}) as Record<string, unknown>;
      if (typeof l.displayName !== 'string' && l.displayName !== undefined) invalid('location.displayName', 'a string');
      input.location = { ...(l as GraphLocation), displayName: typeof l.displayName === 'string' ? l.displayName : '' };
    } else if (key === 'categories') {
      if (!Array.isArray(value) || value.some((c) => typeof c !== 'string')) invalid('categories', 'an array of strings');
      input.categories = [...(value as string[])];
    } else if (key === 'attendees') {
      input.attendees = attendees(value);
    } else if (key === 'recurrence') {
      input.recurrence = value;
    } else if (key === 'singleValueExtendedProperties') {
      input.extended = extended(value);
    } else if (key === 'reminderMinutesBeforeStart') {
      if (typeof value !== 'number' || !Number.isInteger(value)) invalid(key, 'an integer');
      input.reminderMinutesBeforeStart = value;
    } else if (key === 'transactionId') {
      if (typeof value !== 'string' && value !== null) invalid(key, 'a string');
      input.transactionId = value;
    } else {
      throw badRequest(
        `The property '${key}' does not exist on type 'microsoft.graph.event'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
        'RequestBodyRead',
      );
    }
  }
  return input;
}

/** Extended property ids compare by type and GUID case-insensitively, the Name case-sensitively. */
export function extendedKey(id: string): string {
  const match = /^(\S+) (\{[0-9a-f-]{36}\}) (Name|Id) (.+)$/i.exec(id.trim());
  if (!match) return id.trim().toLowerCase();
  return `${match[1]!.toLowerCase()} ${match[2]!.toLowerCase()} ${match[3]!.toLowerCase()} ${match[4]}`;
}
