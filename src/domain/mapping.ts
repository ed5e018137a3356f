import type { Recurrence } from './meeting.js';

/**
 * creating: the intent is recorded and POST /meeting may or may not have reached the platform;
 *           the next cycle resolves it (adopt from the feed by marker, or create) before anything new.
 * active:   the meeting exists and is kept in step with the event.
 * cancelled: the event went away and the meeting was deleted.
 * kept:     the event went away and the meeting was left in place (onEventCancelled: keep).
 */
export type MappingState = 'creating' | 'active' | 'cancelled' | 'kept';

/** A failed thing's tries: since its first failure, how many, and when the next is due (schedule: domain/attention.ts). */
export interface Tries {
  since: string;
  attempts: number;
  nextTryAt: string;
}

/** The link between one calendar event and one platform meeting. */
export interface Mapping {
  source: string;
  calendarId: string;
  eventId: string;
  iCalUid?: string;
  organizerEmail: string;
  userId: string;
  /** Unique text placed in the meeting's agenda to find the meeting again after a crash. */
  marker: string;
  meetingId?: string;
  meetingNumber?: string;
  state: MappingState;
  /** What was last sent to the platform. */
  topic: string;
  start: string;
  end: string;
  timeZone?: string;
  recurrence: Recurrence | null;
  writeBack: 'pending' | 'done';
  lastError?: string;
  /**
   * Only on 'creating': the meeting was found in the organizer's feed by its marker, but without
   * the id needed to update or delete it. Neither adopted nor posted again; `status` says why.
   */
  held?: string;
  /**
   * When a DELETE of the meeting was sent without its success being recorded (in flight, answer
   * lost, failed): the meeting may be gone. An event wanted again checks it with a PUT.
   */
  deletingSince?: string;
  /**
   * When a PUT of the meeting was sent without its success being recorded (in flight, answer
   * lost, failed): what the meeting holds is unknown. The next plan sends the event's wanted
   * state again even when it matches the fields above, which are those last confirmed.
   */
  updatingSince?: string;
  /** While the join link is not written ('pending' after a failure): its tries (domain/attention.ts). */
  writeBackTries?: Tries;
  createdAt: string;
  updatedAt: string;
}

export interface EventKey {
  source: string;
  calendarId: string;
  eventId: string;
}

export function keyOf(e: EventKey): string {
  return `${e.source}\u0000${e.calendarId}\u0000${e.eventId}`;
}

/** A platform user known to meetsync (no ICS token: that is a secret and never stored). */
export interface Organizer {
  email: string;
  accountId: string;
  userId: string;
  firstName: string;
  lastName: string;
  timezone?: string;
  hasFeed: boolean;
  refreshedAt: string;
}

export type EventNoteKind = 'skipped' | 'failed' | 'exception';

/** Why an event has no meeting, or what happened to one occurrence of a series. */
export interface EventNote extends EventKey {
  kind: EventNoteKind;
  reason: string;
  title: string;
  start?: string;
  seriesId?: string;
  /** The organizer (lower-cased email) whose platform user the event waits for. */
  awaitingOrganizer?: string;
  /** A transient failure: the event is looked at again every cycle until its action succeeds. */
  retry?: boolean;
  /** A transient failure's tries: when it is tried next, and since when it fails (domain/attention.ts). */
  tries?: Tries;
  updatedAt: string;
}

export interface CalendarState {
  source: string;
  calendarId: string;
  cursor?: string;
  lastAttemptAt?: string;
  lastSuccessAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  consecutiveFailures: number;
}
