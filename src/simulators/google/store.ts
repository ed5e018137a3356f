import { conditionNotMet, deleted, duplicate, notFound } from './errors.js';
import {
  buildNew,
  checkEventId,
  clone,
  deriveInstance,
  htmlLink,
  mergePatch,
  newEventId,
  nowIso,
  patchDateTime,
  present,
  sharedView,
  significantChange,
  validate,
  writable,
} from './event.js';
import { checkEventTypeWrite } from './event-types.js';
import { isOccurrence, occurrenceFromSuffix, parseInstanceId } from './time.js';
import type { GoogleEvent } from './types.js';

/**
 * The simulator's state: calendars, the events on each, and a global change counter that sync
 * tokens point into ("Synchronize resources efficiently": an incremental request returns
 * everything modified since the token, deletions included).
 *
 * Attendee copies ("Events with attendees" guide, Event.organizer/attendees[].self): when an
 * organizer's event lists another calendar of this simulator as attendee, that calendar holds a
 * copy with the same id and iCalUID, its own etag and its own extendedProperties.private
 * ("Properties that are private to the copy of the event that appears on this calendar").
 * Changes to the organizer's copy are pushed to the copies; a copy whose attendee was removed, or
 * whose organizer deleted the event, becomes cancelled.
 */

export interface StoredEvent {
  event: GoogleEvent;
  /** Value of the change counter when this copy last changed. */
  changedAt: number;
}

export interface CalendarState {
  id: string;
  summary: string;
  timeZone: string;
  /** Bumped by expireSyncTokens: tokens minted under an older generation answer 410. */
  tokenGeneration: number;
  updated: string;
  events: Map<string, StoredEvent>;
}

export interface WriteOptions {
  ifMatch?: string;
  /** A Calendar API request (not a person in Google Calendar): its event type limits what it may change. */
  api?: boolean;
}

export class GoogleStore {
  private readonly calendars = new Map<string, CalendarState>();
  private counter = 0;
  private lastEtag = 0;
  /** Told of every committed change, by calendar (push notifications, push.ts). */
  onChange: ((calendarId: string) => void) | undefined;

  /** The change counter: everything changed so far has changedAt <= seq. */
  get seq(): number {
    return this.counter;
  }

  addCalendar(id: string, options: { timeZone?: string; summary?: string } = {}): CalendarState {
    const existing = this.calendars.get(id.toLowerCase());
    if (existing) return existing;
    const state: CalendarState = {
      id,
      summary: options.summary ?? id,
      timeZone: options.timeZone ?? 'UTC',
      tokenGeneration: 0,
      updated: nowIso(),
      events: new Map(),
    };
    this.calendars.set(id.toLowerCase(), state);
    return state;
  }

  calendar(id: string): CalendarState | undefined {
    return this.calendars.get(id.toLowerCase());
  }

  allCalendars(): CalendarState[] {
    return [...this.calendars.values()];
  }

  /** The stored record, materializing an untouched instance of a series from its id. */
  find(cal: CalendarState, eventId: string): StoredEvent | undefined {
    const stored = cal.events.get(eventId);
    if (stored) return stored;
    const parts = parseInstanceId(eventId);
    const master = parts ? cal.events.get(parts.seriesId)?.event : undefined;
    if (!parts || !master?.recurrence?.length) return undefined;
    const occurrence = occurrenceFromSuffix(master, parts.suffix);
    if (!occurrence || !isOccurrence(master, occurrence)) return undefined;
    return { event: deriveInstance(master, occurrence, cal.id), changedAt: 0 };
  }

  /** events.get: "The get method always returns them [cancelled events]". */
  get(cal: CalendarState, eventId: string): GoogleEvent {
    const stored = this.find(cal, eventId);
    if (!stored) throw notFound();
    return stored.event;
  }

  insert(cal: CalendarState, body: unknown): GoogleEvent {
    const input = writable(body);
    const id = typeof input.id === 'string' ? input.id : newEventId();
    checkEventId(id);
    if (cal.events.has(id)) throw duplicate();
    const event = buildNew(cal.id, input, id);
    validate(event);
    return this.commit(cal, event);
  }

  /** events.patch */
  patch(cal: CalendarState, eventId: string, body: unknown, options: WriteOptions = {}): GoogleEvent {
    const before = this.writableRecord(cal, eventId, options);
    const changes = writable(body) as Record<string, unknown>;
    const { start, end, ...rest } = changes as Partial<GoogleEvent>;
    const after = mergePatch(before as unknown as Record<string, unknown>, rest) as unknown as GoogleEvent;
    if (start) after.start = patchDateTime(before.start, start);
    if (end) after.end = patchDateTime(before.end, end);
    after.id = before.id;
    validate(after);
    if (options.api) checkEventTypeWrite(before, after);
    return this.commitChange(cal, before, after);
  }

  /** events.update (PUT): the body replaces every client-writable field; omitted ones are gone. */
  replace(cal: CalendarState, eventId: string, body: unknown, options: WriteOptions = {}): GoogleEvent {
    const before = this.writableRecord(cal, eventId, options);
    const input = writable(body);
    const { kind, etag, id, htmlLink: link, created, creator, organizer, iCalUID, recurringEventId, originalStartTime } = before;
    const after: GoogleEvent = {
      ...clone(input),
      kind, etag, id, htmlLink: link, created, creator, organizer, iCalUID,
      status: input.status ?? 'confirmed',
      sequence: Math.max(input.sequence ?? 0, before.sequence ?? 0),
      eventType: input.eventType ?? before.eventType ?? 'default',
      ...(recurringEventId ? { recurringEventId, originalStartTime } : {}),
    };
    validate(after);
    if (options.api) checkEventTypeWrite(before, after);
    return this.commitChange(cal, before, after);
  }

  /**
   * events.delete. The event stays as status "cancelled" so incremental sync reports it; deleting
   * it again is 410 "deleted" (guides/errors). Deleting a series cancels its exceptions too;
   * deleting one instance id leaves a cancelled exception (compass delete-single fixture).
   */
  delete(cal: CalendarState, eventId: string, options: WriteOptions = {}): void {
    const before = this.find(cal, eventId)?.event;
    if (!before) throw notFound();
    if (before.status === 'cancelled') throw deleted();
    if (options.ifMatch !== undefined && options.ifMatch !== before.etag) throw conditionNotMet();
    this.commitChange(cal, before, { ...clone(before), status: 'cancelled' });
    if (before.recurrence?.length) {
      for (const { event } of [...cal.events.values()]) {
        if (event.recurringEventId === before.id && event.status !== 'cancelled') {
          this.commitChange(cal, event, { ...clone(event), status: 'cancelled' });
        }
      }
    }
  }

  /** Changes on `cal` after `seq`, oldest first. */
  changedSince(cal: CalendarState, seq: number): StoredEvent[] {
    return [...cal.events.values()].filter((s) => s.changedAt > seq).sort((a, b) => a.changedAt - b.changedAt);
  }

  private writableRecord(cal: CalendarState, eventId: string, options: WriteOptions): GoogleEvent {
    const stored = this.find(cal, eventId);
    if (!stored) throw notFound();
    // An instance never written before has its series' etag; If-Match compares against it.
    if (options.ifMatch !== undefined && options.ifMatch !== '*' && options.ifMatch !== stored.event.etag) {
      throw conditionNotMet();
    }
    return stored.event;
  }

  private commitChange(cal: CalendarState, before: GoogleEvent, after: GoogleEvent): GoogleEvent {
    if (significantChange(before, after) || (before.status !== 'cancelled' && after.status === 'cancelled')) {
      after.sequence = Math.max(after.sequence ?? 0, (before.sequence ?? 0) + 1);
    }
    after.updated = nowIso();
    return this.commit(cal, after);
  }

  /** Stamps etag / updated / change counter, stores, and pushes to attendee copies. */
  private commit(cal: CalendarState, event: GoogleEvent): GoogleEvent {
    event.etag = this.nextEtag();
    this.counter += 1;
    cal.events.set(event.id, { event, changedAt: this.counter });
    cal.updated = event.updated ?? nowIso();
    this.onChange?.(cal.id);
    if (event.organizer?.email?.toLowerCase() === cal.id.toLowerCase()) this.propagate(cal, event);
    return event;
  }

  private propagate(organizerCal: CalendarState, event: GoogleEvent): void {
    const organizer = organizerCal.id.toLowerCase();
    const invited = new Set((event.attendees ?? []).map((a) => a.email?.toLowerCase()).filter((e) => e !== undefined));
    for (const cal of this.calendars.values()) {
      if (cal === organizerCal) continue;
      const existing = cal.events.get(event.id)?.event;
      const isCopy = existing?.organizer?.email?.toLowerCase() === organizer;
      if (existing && !isCopy) continue; // an unrelated event that happens to share the id
      if (invited.has(cal.id.toLowerCase())) {
        if (existing && sharedView(existing) === sharedView(event)) continue;
        const copy = clone(event);
        copy.htmlLink = htmlLink(cal.id, event.id);
        copy.reminders = existing?.reminders ?? { useDefault: true };
        const ownPrivate = existing?.extendedProperties?.private;
        const shared = event.extendedProperties?.shared;
        delete copy.extendedProperties;
        if (ownPrivate || shared) copy.extendedProperties = { ...(ownPrivate ? { private: ownPrivate } : {}), ...(shared ? { shared } : {}) };
        this.commit(cal, copy);
      } else if (existing && existing.status !== 'cancelled') {
        this.commit(cal, { ...clone(existing), status: 'cancelled', updated: event.updated });
      }
    }
  }

  /** Google's event etags are quoted 16-digit numbers that grow with time (compass fixtures). */
  private nextEtag(): string {
    this.lastEtag = Math.max(this.lastEtag + 1, Date.now() * 1000);
    return `"${this.lastEtag}"`;
  }

  /** Every stored copy of `cal`, as the organizer's calendar would show it with showDeleted. */
  snapshot(cal: CalendarState): GoogleEvent[] {
    return [...cal.events.values()].map((s) => present(s.event, cal.id, cal.timeZone, true));
  }
}
