import { GoogleApiError, envelope } from './errors.js';
import type { GoogleEvent } from './types.js';

/**
 * What the Calendar API lets a client change in an event of a special type. The Event resource's
 * `eventType` "cannot be modified after the event is created" (discovery document
 * calendar.v3.json, revision 20251028), and "Different event types have different restrictions"
 * (developers.google.com/workspace/calendar/api/guides/event-types):
 * - birthday: colorId, summary, reminders, and start/end as long as they stay one all-day day
 *   (guides/event-types, "Birthday");
 * - fromGmail: "updates on events with the type fromGmail are restricted to the properties
 *   reminders, colorId, visibility, status, and extendedProperties" (Workspace Updates blog,
 *   2024-05-30, "The Calendar API now distinguishes events created from Gmail").
 * focusTime, outOfOffice and workingLocation have required fields an update must keep
 * (guides/calendar-status) but no documented list of writable ones, so the simulator refuses
 * nothing more for them. A change outside the list is answered as Google answers it on the wire:
 * 400, domain calendar, reason eventTypeRestriction, "Attempt made to modify 'birthday' event in
 * a way that is not valid for this event type." (a log quoted in kellylford/QuickMail#294).
 */
const WRITABLE: Readonly<Record<string, ReadonlySet<string>>> = {
  birthday: new Set(['colorId', 'summary', 'reminders', 'start', 'end']),
  fromGmail: new Set(['reminders', 'colorId', 'visibility', 'status', 'extendedProperties']),
};

/** Set by the server whatever the body says; never a client's change. */
const SERVER_KEPT = new Set(['kind', 'etag', 'id', 'updated', 'sequence', 'htmlLink', 'created', 'creator', 'organizer', 'iCalUID']);

/** Throws 400 when an API write turns `before` into `after` in a way its event type forbids. */
export function checkEventTypeWrite(before: GoogleEvent, after: GoogleEvent): void {
  const type = before.eventType ?? 'default';
  if ((after.eventType ?? 'default') !== type) {
    // Google's answer to a write that changes the type (quoted in gemini-cli-extensions/workspace#319).
    throw new GoogleApiError(400, envelope(400, { domain: 'calendar', reason: 'invalid', message: 'Event type cannot be changed.' }));
  }
  const writable = WRITABLE[type];
  if (!writable) return;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed = [...keys].filter(
    (k) => !SERVER_KEPT.has(k) && JSON.stringify(before[k as keyof GoogleEvent] ?? null) !== JSON.stringify(after[k as keyof GoogleEvent] ?? null),
  );
  if (changed.some((k) => !writable.has(k))) {
    const message = `Attempt made to modify '${type}' event in a way that is not valid for this event type.`;
    throw new GoogleApiError(400, envelope(400, { domain: 'calendar', reason: 'eventTypeRestriction', message }));
  }
}
