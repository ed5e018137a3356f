import type { EventKey, Mapping } from '../domain/mapping.js';
import type { Store } from '../store/store.js';

/** A calendar as the engine keys it: the config's source name and calendar id. */
export interface CalendarKey {
  source: string;
  calendarId: string;
}

const keyText = (k: CalendarKey) => `${k.source}\u0000${k.calendarId}`;

/** Tells whether a mapping's calendar is in the config (true) or dormant (false). */
export type IsConfigured = (calendar: CalendarKey) => boolean;

export function configuredIn(calendars: Iterable<CalendarKey>): IsConfigured {
  const keys = new Set([...calendars].map(keyText));
  return (c) => keys.has(keyText(c));
}

/**
 * The mappings that hold a meeting, for plan()'s check of a copied stamp. Mappings of calendars
 * the config no longer lists are dormant (issue 15, "stable identities"): nothing reads their
 * events any more, so they prove nothing about who holds the meeting now. Counted as holders,
 * they made every event of a renamed source look like a copy of itself and get a second meeting.
 */
export function meetingHolders(store: Store, configured: IsConfigured): (meetingId: string) => EventKey[] {
  return (meetingId) => store.mappingsByMeeting(meetingId).filter((m: Mapping) => configured(m));
}
