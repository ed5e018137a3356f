import { createHash, randomUUID } from 'node:crypto';
import type { EventKey } from '../domain/mapping.js';

/**
 * The marker meetsync puts in the agenda of each meeting it creates (`Reference: meetsync:<uuid>`),
 * by which a creation whose answer was lost is found again in the organizer's feed.
 *
 * It keeps the shape of a UUID (reports look for `meetsync:<uuid>`), but its first 12 hex
 * digits are the event's reference: a digest of (source, calendar, event): reconcile can tell which
 * event a meeting was made for, and prove its origin, from the agenda alone. The other 20 digits
 * are random: every creation attempt has its own marker.
 */
export function newMarker(event: EventKey): string {
  const ref = eventRef(event);
  const rest = randomUUID().replace(/-/g, '').slice(12);
  return `meetsync:${ref.slice(0, 8)}-${ref.slice(8, 12)}-${rest.slice(0, 4)}-${rest.slice(4, 8)}-${rest.slice(8, 20)}`;
}

const REFERENCE = /meetsync:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

const STAND_IN = 'meetsync:adopted:';

/**
 * A mapping that adopted a meeting without learning its reference holds a stand-in marker: unique
 * like every marker, in no agenda, and never to be written into one (the reference written at
 * the meeting's creation stays).
 */
export function standInMarker(meetingId: string): string {
  return `${STAND_IN}${meetingId}:${randomUUID()}`;
}

/** False for a stand-in: a marker that is no meeting's reference. */
export function isReference(marker: string): boolean {
  return !marker.startsWith(STAND_IN);
}

/** The references in an agenda (or a feed entry's description), in order. */
export function referencesIn(text: string): string[] {
  return text.match(REFERENCE) ?? [];
}

/** What every marker made for `event` starts with. */
export function markerPrefixOf(event: EventKey): string {
  const ref = eventRef(event);
  return `meetsync:${ref.slice(0, 8)}-${ref.slice(8, 12)}-`;
}

function eventRef(event: EventKey): string {
  return createHash('sha256').update(`${event.source}\u0000${event.calendarId}\u0000${event.eventId}`).digest('hex').slice(0, 12);
}
