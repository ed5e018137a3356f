/**
 * A calendar event as the sync engine sees it, whatever provider it came from. Adapters
 * translate vendor shapes into this at their boundary; nothing past the boundary sees a
 * googleapis or Graph type.
 */
export type EventStatus = 'confirmed' | 'tentative' | 'cancelled';

/**
 * single: a one-off event. series: the master of a recurring series (carries the rule).
 * occurrence: one instance of a series that was moved, edited or cancelled (an "exception").
 */
export type EventKind = 'single' | 'series' | 'occurrence';

/** What meetsync stamps on an event it has written back to (a private, per-copy property). */
export interface MeetingStamp {
  meetingId: string;
  meetingNumber?: string;
  /**
   * The organizer's platform user (X-USER-ID) and account, written since issue 15: a database
   * lost or restored from a backup then finds the organizer again from the stamp, even one that
   * provisioning created and no configured account lists (sync/stamped-organizers.ts). Absent
   * on stamps written before.
   */
  userId?: string;
  accountId?: string;
}

export interface CalendarEvent {
  /** The configured source name (e.g. `corp-google`). */
  source: string;
  /** The calendar (Google calendar id) or mailbox (Outlook) the event was read from. */
  calendarId: string;
  /** The provider's id of this copy of the event; stable across edits. */
  eventId: string;
  /** The iCalendar UID shared by every copy (organizer's and attendees'). */
  iCalUid?: string;
  /** Lower-cased organizer email, when the provider tells it. */
  organizerEmail?: string;
  /** True only for the organizer's own copy; attendee copies are never acted on. */
  isOrganizerCopy: boolean;
  status: EventStatus;
  kind: EventKind;
  title: string;
  description: string;
  location: string;
  /** Outlook categories (empty for Google). */
  categories: string[];
  /** Start and end as UTC instants (ISO-8601 with Z). Absent on a bare cancellation. */
  start?: string;
  end?: string;
  /** IANA zone the event was scheduled in; needed to expand recurrences across DST. */
  timeZone?: string;
  allDay: boolean;
  /** RFC 5545 lines of a series master (`RRULE:...`, `EXDATE...`), as the provider gives them. */
  recurrence?: string[];
  /** For an occurrence: the id of its series master. */
  seriesId?: string;
  /** For an occurrence: the start it had in the series before being moved or cancelled (UTC). */
  originalStart?: string;
  /** Our stamp, if meetsync wrote to this event before. */
  stamp?: MeetingStamp;
  /**
   * Why the provider restricts what may be written into this event so that it cannot carry a join
   * link (Google's focus time, out of office, working location, birthday and Gmail events): such
   * an event never gets a meeting, and the reason goes to status.
   */
  writeRestriction?: string;
  /** Provider version tag, used for If-Match on write-back. */
  etag?: string;
  /** Last modification time as the provider reports it (UTC ISO). */
  updated?: string;
}

/** The join details meetsync writes back into the organizer's event. */
export interface JoinDetails {
  meetingId: string;
  meetingNumber: string;
  joinUrl: string;
  /** The organizer's platform user and account, carried in the stamp (MeetingStamp). */
  userId?: string;
  accountId?: string;
}

/** The result of one write-back. `changed` is false when the event already carried exactly this. */
export interface WriteBackResult {
  changed: boolean;
  etag?: string;
}
