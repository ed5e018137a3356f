import type { Mapping } from './mapping.js';
import type { Recurrence } from './meeting.js';

/**
 * A meeting kept on the platform for its organizer when its event was cancelled or untagged
 * (onEventCancelled: keep), remembered by its meeting id apart from the event's mapping: the
 * event tagged again gets a new meeting whose mapping takes the event's key, and the kept one
 * must still be known as meetsync's and kept (README "A kept meeting stays kept").
 */
export interface KeptMeeting {
  meetingId: string;
  meetingNumber?: string;
  /** The event it was made for. */
  source: string;
  calendarId: string;
  eventId: string;
  organizerEmail: string;
  userId: string;
  /** The reference in its agenda, or a stand-in when unknown (sync/markers.ts). */
  marker: string;
  /** What meetsync last sent for it: a person's copy of it is told apart by these. */
  topic: string;
  start: string;
  end: string;
  timeZone?: string;
  recurrence: Recurrence | null;
  keptAt: string;
}

/** The record of the meeting of `mapping`, kept as of `at`; undefined when the mapping has no meeting. */
export function keptFrom(mapping: Mapping, at: string): KeptMeeting | undefined {
  if (!mapping.meetingId) return undefined;
  return {
    meetingId: mapping.meetingId,
    ...(mapping.meetingNumber ? { meetingNumber: mapping.meetingNumber } : {}),
    source: mapping.source,
    calendarId: mapping.calendarId,
    eventId: mapping.eventId,
    organizerEmail: mapping.organizerEmail,
    userId: mapping.userId,
    marker: mapping.marker,
    topic: mapping.topic,
    start: mapping.start,
    end: mapping.end,
    ...(mapping.timeZone ? { timeZone: mapping.timeZone } : {}),
    recurrence: mapping.recurrence,
    keptAt: at,
  };
}

/**
 * The kept meeting as a mapping in state 'kept', the shape reconcile (and mapping-end.ts) reads:
 * a kept meeting is compared exactly as the mapping that kept it was.
 */
export function asKeptMapping(k: KeptMeeting): Mapping {
  const { keptAt, ...fields } = k;
  return { ...fields, state: 'kept', writeBack: 'done', createdAt: keptAt, updatedAt: keptAt };
}
