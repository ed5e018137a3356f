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

/**
 * What was read of the event and what the plan decided, with the rule that said so. `held`: the
 * platform refused the organizer earlier this cycle, so what the plan decided is not asked of it
 * now (organizer-refusals.ts); the entry says so instead of what would have been done.
 */
export function readEntry(action: SyncAction, at: string, rules?: TaggingRules, held?: string): JournalEntry {
  const e = action.event;
  const decision = decisionOf(action);
  const what = decision.what;
  const detail = held && decision.then ? `${decision.why}: held, nothing asked of the platform this cycle (${held})` : decision.then ? `${decision.why}: ${decision.then}` : decision.why;
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

/** The plan's decision: what it is, the rule's reason, and what is done about it (when the platform is asked for something). */
function decisionOf(action: SyncAction): { what: string; why: string; then?: string } {
  switch (action.kind) {
    case 'create':
      return { what: 'wants a meeting', why: `tagged, the organizer's copy, with times, not over, and its organizer ${action.organizer.email} is platform user ${action.organizer.userId}; it has no meeting yet`, then: 'one is created' };
    case 'update':
      return { what: 'wants a meeting', why: `its meeting differs from the event in ${action.changes.join(', ')}`, then: 'the meeting is updated' };
    case 'cancel':
      return action.mode === 'delete'
        ? { what: 'no meeting', why: action.reason, then: 'its meeting is deleted' }
        : { what: 'no meeting', why: `${action.reason}: its meeting is kept (onEventCancelled: keep)` };
    case 'adopt':
      return { what: 'wants a meeting', why: `the event carries the stamp of meeting ${action.stamp.meetingNumber ?? action.stamp.meetingId}, made by meetsync, that no record here holds`, then: 'adopted, nothing created' };
    case 'remember-kept':
      return { what: 'no meeting', why: `untagged, and its stamp names meeting ${action.stamp.meetingNumber ?? action.stamp.meetingId}, kept for its organizer: remembered as kept` };
    case 'skip':
      return { what: 'no meeting', why: action.reason };
    case 'exception':
      return { what: 'occurrence', why: action.reason };
    case 'unchanged':
      return { what: 'wants a meeting', why: 'its meeting is in step with the event' };
    case 'pending':
      return { what: 'wants a meeting', why: action.mapping.held ?? 'an earlier creation of its meeting is not confirmed yet' };
  }
}

function keyOf(k: EventKey | CalendarEvent): EventKey {
  return { source: k.source, calendarId: k.calendarId, eventId: k.eventId };
}
