import type { DesiredMeeting } from './action.js';
import type { CalendarEvent } from './event.js';
import { mapRecurrence, seriesEndsBefore } from './recurrence.js';
import { isTagged, topicOf, type TaggingRules } from './tagging.js';

/**
 * Whether an event wants a meeting, and which: one pure rule, shared by the sync's plan
 * (sync/plan.ts decides what to do with what the platform holds) and reconcile's repair, so the
 * two can never disagree on it (issue 15).
 */

/** Why an event wants no meeting: each is handled on purpose where a meeting exists. */
export type NoMeetingReason = 'cancelled' | 'untagged' | 'attendee' | 'unexpressible';

export type Want = { wants: true; desired: DesiredMeeting } | { wants: false; why: NoMeetingReason; reason: string };

/**
 * What the meeting of an event (not an occurrence: those follow their series) should be, or why
 * it wants none: cancelled, untagged, an attendee's copy, or a meeting the platform cannot hold
 * (all-day, no times, ends before it starts, a rule it cannot express) or the event cannot carry
 * (a provider's event type whose writable fields are restricted).
 */
export function wantedMeeting(event: CalendarEvent, rules: TaggingRules): Want {
  if (event.status === 'cancelled') return { wants: false, why: 'cancelled', reason: 'the event was cancelled or deleted' };
  if (!isTagged(event, rules)) return { wants: false, why: 'untagged', reason: 'the event is no longer tagged for a web meeting' };
  if (!event.isOrganizerCopy) return { wants: false, why: 'attendee', reason: "attendee's copy: only the organizer's copy of an event gets a meeting" };
  const d = desiredMeeting(event, rules);
  return d.ok ? { wants: true, desired: d.desired } : { wants: false, why: 'unexpressible', reason: d.reason };
}

/** The meeting an event's times, title and rule describe, or why the platform cannot hold one. */
type Desired = { ok: true; desired: DesiredMeeting } | { ok: false; reason: string };

/** What the meeting of a tagged organizer event should be, or why it cannot have one. */
export function desiredMeeting(event: CalendarEvent, rules: TaggingRules): Desired {
  if (event.writeRestriction) return { ok: false, reason: event.writeRestriction };
  if (event.allDay) return { ok: false, reason: 'all-day event: give it a start and end time to get a web meeting' };
  if (!event.start || !event.end) return { ok: false, reason: 'the event has no start or end time' };
  if (Date.parse(event.end) <= Date.parse(event.start)) return { ok: false, reason: 'the event ends before it starts' };
  let recurrence = null;
  if (event.kind === 'series' && event.recurrence && event.recurrence.length > 0) {
    const mapped = mapRecurrence(event.recurrence, event.start, event.timeZone);
    if (!mapped.ok) return { ok: false, reason: `recurrence the platform cannot express: ${mapped.reason}` };
    recurrence = mapped.recurrence;
  }
  return {
    ok: true,
    desired: {
      topic: topicOf(event.title, rules),
      start: new Date(event.start).toISOString(),
      end: new Date(event.end).toISOString(),
      ...(event.timeZone ? { timeZone: event.timeZone } : {}),
      recurrence,
    },
  };
}

/** The event (or a series' last occurrence) ended before `now`: a meeting for it would serve nobody. */
export function isOver(event: CalendarEvent, now: Date): boolean {
  if (event.kind === 'series' && event.recurrence?.length && event.start) {
    return seriesEndsBefore(event.recurrence, event.start, event.timeZone, now);
  }
  return event.end !== undefined && Date.parse(event.end) <= now.getTime();
}
