import { bodyPreview, htmlToText } from './body.js';
import { presentId, type ItemRef } from './ids.js';
import { extendedKey } from './input.js';
import { recordOf, typeOf, type EventRecord, type StoredEvent } from './model.js';
import { dateIn, formatUtcStamp, formatWallClock } from './timezones.js';
import type { GraphDateTimeTimeZone, GraphEvent, GraphLocation } from './types.js';

/**
 * Events as Graph answers them, with the properties and their order of Microsoft's full samples
 * (event-recurring-seriesmaster.json, event-online-meeting-created.json), shaped by the request:
 * - start/end in the `Prefer: outlook.timezone` zone, else UTC ("If the Prefer: outlook.timezone
 *   header is not specified, the start and end times are returned in UTC", event-get.md);
 *   originalStartTimeZone / originalEndTimeZone keep the zone the event was written in;
 * - ids in the format `Prefer: IdType` asks for;
 * - body as HTML unless `Prefer: outlook.body-content-type="text"`;
 * - singleValueExtendedProperties only when `$expand`ed with a filter on their id
 *   (singlevaluelegacyextendedproperty-get.md: "This is currently the only way to get" them).
 */

export interface PresentOptions {
  /** A validated outlook.timezone preference, or undefined. */
  zone?: string;
  /** Where start/end are given without a preference: UTC as Microsoft documents (default). */
  zoneWithoutPreference?: 'UTC' | 'original';
  immutableIds: boolean;
  bodyAsText: boolean;
  /** Extended property ids asked for with $expand. */
  expand?: string[];
}

const NEVER = '0001-01-01T00:00:00Z';

function showTime(record: EventRecord, which: 'start' | 'end', options: PresentOptions): GraphDateTimeTimeZone {
  const { ms, zone: own } = record[which];
  const zone = options.zone ?? (options.zoneWithoutPreference === 'original' ? own : 'UTC');
  // An all-day event is a run of dates, not instants: it starts at midnight whatever zone asks.
  if (record.isAllDay) return { dateTime: `${dateIn(ms, own)}T00:00:00.0000000`, timeZone: zone };
  return { dateTime: formatWallClock(ms, zone), timeZone: zone };
}

function showLocation(location: GraphLocation): GraphLocation {
  const name = location.displayName ?? '';
  if (name === '') return { displayName: '', locationType: 'default', uniqueIdType: 'unknown', address: {}, coordinates: {} };
  return {
    displayName: name,
    locationType: location.locationType ?? 'default',
    uniqueId: location.uniqueId ?? name,
    uniqueIdType: location.uniqueIdType ?? 'private',
    ...(location.address ? { address: location.address } : {}),
    ...(location.coordinates ? { coordinates: location.coordinates } : {}),
  };
}

/**
 * An occurrence's iCalUId differs from its master's ("This ID is different for each occurrence in
 * a recurring series", resources/event.md): Outlook's GlobalObjectId carries the instance date
 * (year, month, day) in bytes 16-19.
 */
function occurrenceICalUId(master: string, date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const stamp = `${y.toString(16).padStart(4, '0')}${m.toString(16).padStart(2, '0')}${d.toString(16).padStart(2, '0')}`.toUpperCase();
  return `${master.slice(0, 32)}${stamp}${master.slice(40)}`;
}

export function presentEvent(event: StoredEvent, occurrence: string | undefined, options: PresentOptions): GraphEvent {
  const target = occurrence ? { event, occurrence } : { event };
  const record = recordOf(target);
  const type = typeOf(target);
  const ref: ItemRef = occurrence ? { key: event.key, occurrence } : { key: event.key };
  const id = presentId(ref, event.idVersion, options.immutableIds);
  const presented: GraphEvent = {
    '@odata.etag': `W/"${record.changeKey}"`,
    id,
    createdDateTime: formatUtcStamp(record.createdMs),
    lastModifiedDateTime: formatUtcStamp(record.modifiedMs),
    changeKey: record.changeKey,
    categories: [...record.categories],
    transactionId: record.transactionId,
    originalStartTimeZone: record.start.zone,
    originalEndTimeZone: record.end.zone,
    iCalUId: occurrence ? occurrenceICalUId(event.iCalUId, occurrence) : event.iCalUId,
    reminderMinutesBeforeStart: record.reminderMinutesBeforeStart,
    isReminderOn: record.isReminderOn,
    hasAttachments: false,
    subject: record.subject,
    bodyPreview: bodyPreview(record.bodyHtml),
    importance: record.importance,
    sensitivity: record.sensitivity,
    isAllDay: record.isAllDay,
    isCancelled: record.isCancelled,
    isOrganizer: event.isOrganizer,
    responseRequested: record.responseRequested,
    seriesMasterId: occurrence ? presentId({ key: event.key }, event.idVersion, options.immutableIds) : null,
    showAs: record.showAs,
    type,
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: null,
    isOnlineMeeting: record.isOnlineMeeting,
    onlineMeetingProvider: record.onlineMeetingProvider,
    allowNewTimeProposals: record.allowNewTimeProposals,
    isDraft: false,
    hideAttendees: record.hideAttendees,
    recurrence: type === 'seriesMaster' && event.recurrence ? structuredClone(event.recurrence) : null,
    onlineMeeting: null,
    responseStatus: { response: event.isOrganizer ? 'organizer' : 'notResponded', time: NEVER },
    body: options.bodyAsText
      ? { contentType: 'text', content: htmlToText(record.bodyHtml) }
      : { contentType: 'html', content: record.bodyHtml },
    start: showTime(record, 'start', options),
    end: showTime(record, 'end', options),
    ...(occurrence ? { originalStart: originalStart(event, occurrence) } : {}),
    location: showLocation(record.location),
    locations: record.location.displayName ? [showLocation(record.location)] : [],
    attendees: record.attendees.map((a) => ({ ...a, emailAddress: { ...a.emailAddress } })),
    organizer: { emailAddress: { ...record.organizer } },
  };
  if (options.expand) {
    const wanted = new Set(options.expand.map(extendedKey));
    presented.singleValueExtendedProperties = record.extended.filter((p) => wanted.has(extendedKey(p.id))).map((p) => ({ ...p }));
  }
  return presented;
}

/** originalStart: "Represents the start time of an event when it is initially created as an occurrence or exception". */
function originalStart(master: StoredEvent, date: string): string {
  const derived = recordOf({ event: { ...master, exceptions: new Map() }, occurrence: date });
  return new Date(derived.start.ms).toISOString().replace('.000Z', 'Z');
}

/** A delta item of an occurrence as the "stripped" fault sends it: id, type, start, end, seriesMasterId. */
export function stripped(full: GraphEvent): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.event',
    id: full.id,
    type: full.type,
    start: full.start,
    end: full.end,
    seriesMasterId: full.seriesMasterId,
  };
}

/** delta-query-events.md, "The next round": `{"@odata.type", "id", "@removed": {"reason": "deleted"}}`. */
export function removed(ref: ItemRef, idVersion: number, immutableIds: boolean): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.event', id: presentId(ref, idVersion, immutableIds), '@removed': { reason: 'deleted' } };
}

/** $select: the named properties, plus @odata.etag, id and what $expand asked for, which Graph always sends. */
export function select(event: GraphEvent, properties: string[] | undefined): Record<string, unknown> {
  if (!properties) return event as unknown as Record<string, unknown>;
  const wanted = new Set([...properties.map((p) => p.toLowerCase()), 'singlevalueextendedproperties']);
  // event-get.md Response 1: $select=…,location,… answers locations as well.
  if (wanted.has('location')) wanted.add('locations');
  return Object.fromEntries(
    Object.entries(event).filter(([k]) => k === '@odata.etag' || k === 'id' || wanted.has(k.toLowerCase())),
  );
}
