import type { CalendarEvent, MeetingStamp } from './event.js';
import type { Mapping, Organizer } from './mapping.js';
import type { Recurrence } from './meeting.js';

/** What the meeting for an event should look like, derived from the event alone. */
export interface DesiredMeeting {
  topic: string;
  start: string;
  end: string;
  timeZone?: string;
  recurrence: Recurrence | null;
}

/** One decision of the planner. Plain data: `plan()` returns these, `execute()` performs them. */
export type SyncAction =
  | { kind: 'create'; event: CalendarEvent; organizer: Organizer; desired: DesiredMeeting }
  | { kind: 'update'; event: CalendarEvent; mapping: Mapping; desired: DesiredMeeting; changes: string[] }
  | {
      kind: 'cancel';
      event: CalendarEvent;
      mapping: Mapping;
      mode: 'delete' | 'keep';
      reason: string;
      /** The event lives on but cannot have a meeting: why, kept as its note for `status`. */
      note?: string;
    }
  | {
      kind: 'adopt';
      event: CalendarEvent;
      organizer: Organizer;
      stamp: MeetingStamp;
      desired: DesiredMeeting;
      /**
       * When the stamp's meeting is gone (404): 'create' a new one (the default), or 'leave' the
       * event as it was (an unconfirmed creation's own POST may have taken effect: sync/pending.ts).
       */
      ifGone?: 'create' | 'leave';
    }
  | {
      /**
       * An untagged organizer copy whose stamp names a meeting no record here knows, with
       * onEventCancelled: keep: the meeting was kept when its event was untagged and the database
       * was lost since. Remembered as kept (nothing is sent anywhere), so that the event tagged
       * again gets a new meeting instead of taking the kept one back.
       */
      kind: 'remember-kept';
      event: CalendarEvent;
      stamp: MeetingStamp;
      /** What the kept meeting was made as, as far as the event still tells. */
      desired: DesiredMeeting;
    }
  | { kind: 'skip'; event: CalendarEvent; reason: string; awaitingOrganizer?: string }
  | { kind: 'exception'; event: CalendarEvent; seriesId: string; reason: string }
  | { kind: 'unchanged'; event: CalendarEvent; mapping: Mapping }
  /** A mapping whose intent was recorded but whose creation was not confirmed: resolved before anything new. */
  | { kind: 'pending'; event: CalendarEvent; mapping: Mapping };

export type ActionKind = SyncAction['kind'];

/** What became of one event in a cycle, for `sync --json` and the logs. */
export interface EventOutcome {
  source: string;
  calendarId: string;
  eventId: string;
  title: string;
  outcome: 'created' | 'updated' | 'cancelled' | 'adopted' | 'skipped' | 'failed' | 'unchanged' | 'recorded';
  reason?: string;
  meetingId?: string;
  meetingNumber?: string;
  changes?: string[];
  /**
   * What a failure concerns when it is not this event alone: 'organizer' when the platform refused
   * the event's organizer (user removed or without permission) and the key works. Such a failure
   * holds that organizer's changes only; the cycle and its health go on.
   */
  scope?: 'organizer';
}

export interface CycleCounts {
  created: number;
  updated: number;
  cancelled: number;
  adopted: number;
  skipped: number;
  failed: number;
  unchanged: number;
}
