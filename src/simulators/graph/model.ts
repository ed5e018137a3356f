import { DateTime } from 'luxon';
import type { ItemRef } from './ids.js';
import { occurrenceDates } from './recurrence.js';
import { atTimeOfDay, dateIn, ianaZone, timeOfDay } from './timezones.js';
import type {
  GraphAttendee,
  GraphEmailAddress,
  GraphEventType,
  GraphExtendedProperty,
  GraphLocation,
  GraphPatternedRecurrence,
} from './types.js';

/**
 * The simulator's stored state: mailboxes, their events, and how a series' occurrences are
 * derived from its master. An occurrence is never stored: it is the master placed on one of its
 * pattern's dates (at the master's wall-clock time of day in the master's zone, so DST does not
 * move it), unless an exception (a changed occurrence) or a cancellation is recorded for that
 * date (resources/event.md: type singleInstance | occurrence | exception | seriesMaster).
 */

export interface Instant {
  ms: number;
  /** As written by the client: Windows or IANA. */
  zone: string;
}

/** The fields one event (or one exception of a series) carries. */
export interface EventRecord {
  subject: string;
  bodyHtml: string;
  start: Instant;
  end: Instant;
  isAllDay: boolean;
  isCancelled: boolean;
  location: GraphLocation;
  categories: string[];
  attendees: GraphAttendee[];
  organizer: GraphEmailAddress;
  importance: string;
  sensitivity: string;
  showAs: string;
  isReminderOn: boolean;
  reminderMinutesBeforeStart: number;
  responseRequested: boolean;
  allowNewTimeProposals: boolean;
  hideAttendees: boolean;
  isOnlineMeeting: boolean;
  onlineMeetingProvider: string;
  transactionId: string | null;
  extended: GraphExtendedProperty[];
  changeKey: string;
  createdMs: number;
  modifiedMs: number;
}

export interface Notification {
  kind: 'update' | 'cancel';
  /** Milliseconds since the epoch. */
  at: number;
  /** Properties the PATCH named (empty for a cancellation). */
  properties: string[];
  recipients: string[];
}

/** A single event or a series master, as stored in one mailbox. */
export interface StoredEvent extends EventRecord {
  key: string;
  /** Bumped when the item moves: its REST id changes, its immutable id does not. */
  idVersion: number;
  iCalUId: string;
  isOrganizer: boolean;
  recurrence?: GraphPatternedRecurrence;
  /** Changed occurrences by original date. */
  exceptions: Map<string, EventRecord>;
  /** Deleted occurrences by original date. */
  cancelled: Set<string>;
  /** For an attendee's copy: the organizer's mailbox (address, lower case) and event key. */
  copyOf?: { mailbox: string; key: string };
  notifications: Notification[];
  /** The folder holding the item: one of the mailbox's calendars, or its Deleted Items folder. */
  folder: string;
}

/** A calendar of a mailbox (resources/calendar.md: id, name, isDefaultCalendar). */
export interface SimCalendar {
  id: string;
  name: string;
  isDefaultCalendar: boolean;
}

export interface Mailbox {
  /** A GUID, as Graph's user ids are. */
  id: string;
  address: string;
  displayName: string;
  events: Map<string, StoredEvent>;
  /** The mailbox's calendars, the default (primary) one first. */
  calendars: SimCalendar[];
  /**
   * The id of the Deleted Items mail folder. Outlook's Delete "moves the item from the containing
   * folder to the Deleted Items folder" (learn.microsoft.com/office/vba/api/outlook.appointmentitem.delete),
   * and an immutable id "will NOT change if the item is moved to a different folder in the
   * mailbox" (learn.microsoft.com/graph/outlook-immutable-id): the item keeps answering
   * `/users/{id}/events/{id}`, while it is no longer in any calendar.
   */
  deletedItems: string;
  /** Bumped by expireDeltaTokens: tokens minted before answer 410. */
  deltaGeneration: number;
  /** Item keys changed, with the change counter value and id version of the change. */
  touched: Map<string, { seq: number; idVersion: number }>;
  inFlight: number;
  maxInFlight: number;
}

/** One event a client can address: a stored event, or an occurrence/exception of a series. */
export interface Target {
  event: StoredEvent;
  occurrence?: string;
}

/** An item of a calendar view, materialized. */
export interface ViewItem {
  ref: ItemRef;
  event: StoredEvent;
  record: EventRecord;
  type: GraphEventType;
  /** Changes whenever what a client sees of the item changes. */
  version: string;
}

export function typeOf(target: Target): GraphEventType {
  if (target.occurrence) return target.event.exceptions.has(target.occurrence) ? 'exception' : 'occurrence';
  return target.event.recurrence ? 'seriesMaster' : 'singleInstance';
}

/** The occurrence of `master` on `date` before anyone changed it. */
export function deriveOccurrence(master: StoredEvent, date: string): EventRecord {
  const zone = master.start.zone;
  let startMs: number;
  let endMs: number;
  if (master.isAllDay) {
    const days = Math.round((master.end.ms - master.start.ms) / 86_400_000);
    startMs = atTimeOfDay(date, 0, zone);
    endMs = atTimeOfDay(DateTime.fromISO(date).plus({ days }).toISODate()!, 0, zone);
  } else {
    startMs = atTimeOfDay(date, timeOfDay(master.start.ms, zone), zone);
    endMs = startMs + (master.end.ms - master.start.ms);
  }
  return { ...copyRecord(master), start: { ms: startMs, zone }, end: { ms: endMs, zone: master.end.zone } };
}

/** The EventRecord fields of a record or stored event, copied (no series state comes along). */
export function copyRecord(source: EventRecord): EventRecord {
  return {
    subject: source.subject,
    bodyHtml: source.bodyHtml,
    start: { ...source.start },
    end: { ...source.end },
    isAllDay: source.isAllDay,
    isCancelled: source.isCancelled,
    location: structuredClone(source.location),
    categories: [...source.categories],
    attendees: source.attendees.map((a) => ({ ...a, emailAddress: { ...a.emailAddress } })),
    organizer: { ...source.organizer },
    importance: source.importance,
    sensitivity: source.sensitivity,
    showAs: source.showAs,
    isReminderOn: source.isReminderOn,
    reminderMinutesBeforeStart: source.reminderMinutesBeforeStart,
    responseRequested: source.responseRequested,
    allowNewTimeProposals: source.allowNewTimeProposals,
    hideAttendees: source.hideAttendees,
    isOnlineMeeting: source.isOnlineMeeting,
    onlineMeetingProvider: source.onlineMeetingProvider,
    transactionId: source.transactionId,
    extended: source.extended.map((p) => ({ ...p })),
    changeKey: source.changeKey,
    createdMs: source.createdMs,
    modifiedMs: source.modifiedMs,
  };
}

/** The record a target names (the exception, the derived occurrence, or the event itself). */
export function recordOf(target: Target): EventRecord {
  if (!target.occurrence) return target.event;
  return target.event.exceptions.get(target.occurrence) ?? deriveOccurrence(target.event, target.occurrence);
}

function overlaps(record: EventRecord, fromMs: number, toMs: number): boolean {
  const { ms: start } = record.start;
  const { ms: end } = record.end;
  if (start >= toMs) return false;
  return end > fromMs || (end === start && start >= fromMs);
}

/**
 * The calendar view of [fromMs, toMs) of one calendar (the default one unless named): single instances, occurrences and exceptions that overlap
 * it, never series masters ("Response includes single instances, and occurrences and exceptions
 * of recurring series", beta event-delta.md), in start order.
 */
export function calendarView(mailbox: Mailbox, fromMs: number, toMs: number, folder: string = defaultCalendar(mailbox).id): ViewItem[] {
  const items: ViewItem[] = [];
  for (const event of mailbox.events.values()) {
    if (event.folder !== folder) continue;
    if (!event.recurrence) {
      if (overlaps(event, fromMs, toMs)) {
        items.push({ ref: { key: event.key }, event, record: event, type: 'singleInstance', version: event.changeKey });
      }
      continue;
    }
    const zone = ianaZone(event.start.zone) ?? 'UTC';
    const span = event.end.ms - event.start.ms;
    const fromDate = dateIn(fromMs - span - 86_400_000, zone);
    const toDate = dateIn(toMs + 86_400_000, zone);
    for (const date of occurrenceDates(event.recurrence, fromDate, toDate)) {
      if (event.cancelled.has(date) || event.exceptions.has(date)) continue;
      const record = deriveOccurrence(event, date);
      if (overlaps(record, fromMs, toMs)) {
        items.push({ ref: { key: event.key, occurrence: date }, event, record, type: 'occurrence', version: event.changeKey });
      }
    }
    for (const [date, record] of event.exceptions) {
      if (overlaps(record, fromMs, toMs)) {
        items.push({ ref: { key: event.key, occurrence: date }, event, record, type: 'exception', version: record.changeKey });
      }
    }
  }
  return items.sort((a, b) => a.record.start.ms - b.record.start.ms);
}

/** The occurrences and exceptions of one series in [fromMs, toMs) (event-list-instances.md). */
export function seriesInstances(mailbox: Mailbox, master: StoredEvent, fromMs: number, toMs: number): ViewItem[] {
  return calendarView({ ...mailbox, events: new Map([[master.key, master]]) }, fromMs, toMs, master.folder);
}

/** The calendar `/users/{id}/calendar` names ("the user's primary calendar", calendar-get.md). */
export function defaultCalendar(mailbox: Mailbox): SimCalendar {
  return mailbox.calendars.find((c) => c.isDefaultCalendar) ?? mailbox.calendars[0]!;
}
