import type { SyncAction } from '../domain/action.js';
import type { CalendarEvent } from '../domain/event.js';
import type { CallOutcome, JournalCall, JournalEntry } from '../domain/journal.js';
import type { EventKey, Mapping } from '../domain/mapping.js';
import { tagOf, type TaggingRules } from '../domain/tagging.js';

/**
 * The journal entries of what the engine already decided and did (domain/journal.ts): built from
 * the planned action and the calls' outcomes, never by deciding anything again. The engine
 * writes them with the records they explain (execute.ts, pending.ts).
 */

/** What was read of the event and what the plan decided, with the rule that said so. */
export function readEntry(action: SyncAction, at: string, rules?: TaggingRules): JournalEntry {
  const e = action.event;
  const { what, detail } = decisionOf(action);
  const tag = rules && e.status !== 'cancelled' ? tagOf(e, rules) : undefined;
  return {
    ...keyOf(e), at, kind: 'read', what, outcome: action.kind, detail,
    ...(e.title ? { title: e.title } : {}),
    ...(e.start ? { start: e.start } : {}),
    ...(e.end ? { end: e.end } : {}),
    ...(e.organizerEmail ? { organizer: e.organizerEmail.toLowerCase() } : {}),
    ...(tag ? { tag } : {}),
  };
}

/** One call made for an event, and what came of it. */
export function callEntry(
  key: EventKey, what: JournalCall, outcome: CallOutcome, at: string,
  extra: { detail?: string; meetingId?: string | undefined; meetingNumber?: string | undefined } = {},
): JournalEntry {
  return {
    ...keyOf(key), at, kind: 'call', what, outcome,
    ...(extra.detail ? { detail: extra.detail } : {}),
    ...(extra.meetingId ? { meetingId: extra.meetingId } : {}),
    ...(extra.meetingNumber ? { meetingNumber: extra.meetingNumber } : {}),
  };
}

/** What a PUT or POST asks the platform for, as a person reads it. */
export function sentFields(m: Pick<Mapping, 'topic' | 'start' | 'end'> & { recurrence?: Mapping['recurrence'] }): string {
  return `"${m.topic}" ${m.start} to ${m.end}${m.recurrence ? ` (repeats ${m.recurrence.frequencyType})` : ''}`;
}

function decisionOf(action: SyncAction): { what: string; detail: string } {
  switch (action.kind) {
    case 'create':
      return { what: 'wants a meeting', detail: `tagged, the organizer's copy, with times, not over, and its organizer ${action.organizer.email} is platform user ${action.organizer.userId}; it has no meeting yet: one is created` };
    case 'update':
      return { what: 'wants a meeting', detail: `its meeting differs from the event in ${action.changes.join(', ')}: the meeting is updated` };
    case 'cancel':
      return { what: 'no meeting', detail: `${action.reason}: ${action.mode === 'delete' ? 'its meeting is deleted' : 'its meeting is kept (onEventCancelled: keep)'}` };
    case 'adopt':
      return { what: 'wants a meeting', detail: `the event carries the stamp of meeting ${action.stamp.meetingNumber ?? action.stamp.meetingId}, made by meetsync, that no record here holds: adopted, nothing created` };
    case 'remember-kept':
      return { what: 'no meeting', detail: `untagged, and its stamp names meeting ${action.stamp.meetingNumber ?? action.stamp.meetingId}, kept for its organizer: remembered as kept` };
    case 'skip':
      return { what: 'no meeting', detail: action.reason };
    case 'exception':
      return { what: 'occurrence', detail: action.reason };
    case 'unchanged':
      return { what: 'wants a meeting', detail: 'its meeting is in step with the event' };
    case 'pending':
      return { what: 'wants a meeting', detail: action.mapping.held ?? 'an earlier creation of its meeting is not confirmed yet' };
  }
}

function keyOf(k: EventKey | CalendarEvent): EventKey {
  return { source: k.source, calendarId: k.calendarId, eventId: k.eventId };
}
