import type { CalendarEvent, JoinDetails, WriteBackResult } from '../domain/event.js';

/** The time window a source reads; fixed when a full read starts (Graph bakes it into the token). */
export interface SyncWindow {
  from: Date;
  to: Date;
}

/** What the engine knows of a calendar before it reads it, so that an adapter can skip reads it needs only for events new to meetsync. */
export interface ReadHints {
  /**
   * True when meetsync holds a live meeting for this event (a mapping being created or active).
   * Its stamp then decides nothing: the engine looks at a stamp only for an event it has no live
   * meeting for (plan.ts, adopting an event whose mapping was lost).
   */
  holdsMeeting(eventId: string): boolean;
  /**
   * True for an event the engine may write its join details into after this read (one tagged
   * for a meeting). Only such events' raw copies are kept for that write-back (fresh-copies.ts):
   * keeping every organizer event of a large calendar held memory for nothing. Absent: all kept.
   */
  keepCopy?(event: CalendarEvent): boolean;
}

/** What one read of a calendar returned. */
export interface ChangeSet {
  /** Events created, changed or deleted since the cursor (all events on a full read). */
  events: CalendarEvent[];
  /** The cursor to store for the next read (Google nextSyncToken, Graph deltaLink). */
  cursor: string;
  /**
   * True when this was a full read (no cursor, or the old one expired). On a full read an
   * absent event is NOT proof of deletion: confirm with `getEvent` before cancelling anything.
   */
  full: boolean;
  /** Why a full read happened when a cursor was given (e.g. "sync token expired (410)"). */
  fullReason?: string;
}

/** A channel to open on a calendar (issue 18): the provider POSTs to `address`, echoing `token`. */
export interface WatchRequest {
  /** Unique per channel (Google: at most 64 characters). */
  channelId: string;
  /** The https:// address notifications go to. */
  address: string;
  /** The channel's secret, echoed with every notification; never logged. */
  token: string;
  /** Where lifecycle notifications go (Graph's lifecycleNotificationUrl); the provider may ignore it. */
  lifecycleAddress?: string;
}

/** What the provider answered: the watched resource's id and when the channel ends. */
export interface WatchAnswer {
  resourceId: string;
  expiresAt: Date;
  /** The id the provider gave the channel (a Graph subscription's id), when it is not the one asked for. */
  channelId?: string;
}

/**
 * The port every calendar provider implements. The sync engine owns it; adapters
 * (google/source.ts, outlook/source.ts, memory.ts) implement it, and one contract suite tests them all.
 */
export interface CalendarSource {
  /** The configured source name. */
  readonly name: string;
  /** Calendars (Google) or mailboxes (Outlook) this source reads. */
  readonly calendars: readonly string[];

  /**
   * Reads what changed in one calendar since `cursor` (null = full read). Follows every page.
   * An expired cursor is handled inside: the adapter reads fully and says so in `full`/`fullReason`.
   * Throws CalendarAuthError for a broken credential, CalendarError otherwise. Without `hints`
   * every event's stamp is read.
   */
  readChanges(calendarId: string, cursor: string | null, window: SyncWindow, hints?: ReadHints): Promise<ChangeSet>;

  /**
   * A read that changes nothing and moves no cursor, as cheap as the provider allows (one item):
   * proves the endpoint, the credential and access to this calendar (`meetsync doctor`). Throws
   * CalendarAuthError for a broken credential, CalendarError otherwise.
   */
  probe(calendarId: string): Promise<void>;

  /**
   * Reads one event as it is now. Returns null only on positive proof that it is gone
   * (404/410 from the provider); a cancelled event comes back with status 'cancelled'.
   */
  getEvent(calendarId: string, eventId: string): Promise<CalendarEvent | null>;

  /**
   * Writes the join details onto the organizer's copy of an event: the join link in `location`
   * when that is empty, a delimited block in the description (replaced, never duplicated) and our
   * stamp. Idempotent: writing the same details twice changes nothing the second time.
   * Throws if the event is not the organizer's copy.
   */
  writeJoinDetails(calendarId: string, eventId: string, details: JoinDetails): Promise<WriteBackResult>;

  /**
   * Removes meetsync's join details from the organizer's copy of an event: the description block,
   * the location when it still holds exactly the join link meetsync put there, and the stamp.
   * Idempotent: an event without them is not written (changed: false). Refuses an attendee's copy.
   * Returns `{changed: false}` when the event is gone or cancelled (nothing to clean).
   */
  clearJoinDetails(calendarId: string, eventId: string): Promise<WriteBackResult>;

  /**
   * Push (issue 18), for a provider that pushes changes: which one, to route its notifications.
   * Absent: the source is polled only.
   */
  readonly pushProvider?: 'google' | 'graph';

  /** Opens a channel that notifies `request.address` when the calendar's events change. */
  watch?(calendarId: string, request: WatchRequest): Promise<WatchAnswer>;

  /**
   * Extends a channel in place (Graph: PATCH expirationDateTime), when the provider can; its new
   * end. Absent: a channel is replaced by a new one before it ends (Google).
   */
  renewWatch?(calendarId: string, channel: { channelId: string }): Promise<Date>;

  /** Closes a channel; one the provider no longer knows (404) counts as closed. */
  unwatch?(calendarId: string, channel: { channelId: string; resourceId: string }): Promise<void>;
}
