import type { CalendarEvent, JoinDetails, WriteBackResult } from '../domain/event.js';
import { CalendarError, EventGoneError } from '../domain/errors.js';
import { planJoinClear, planJoinWrite } from './join-write.js';
import type { ChangeSet, CalendarSource, SyncWindow } from './source.js';

/**
 * An in-memory CalendarSource for the sync engine's tests, in the spirit of vdirsyncer's
 * `storage/memory.py`: it keeps events per calendar, lets a test act as the user (put, patch,
 * remove), and behaves like a provider where the engine can tell: opaque cursors that can
 * expire, deletions that come back as cancelled tombstones, our own write-back reported as a
 * change, write-back only to the organizer's copy. It passes the same contract suite as the
 * Google adapter (test/support/source-contract.ts).
 */

export type MemoryMethod = 'readChanges' | 'getEvent' | 'writeJoinDetails' | 'clearJoinDetails' | 'probe';

/** What a user may change on an event (anything but its identity). */
export type MemoryEventPatch = Partial<Omit<CalendarEvent, 'source' | 'calendarId' | 'eventId'>>;

/** An event as `put` takes it: `source` defaults to the source's name. */
export type MemoryEventInput = Omit<CalendarEvent, 'source'> & { source?: string };

interface Stored {
  event: CalendarEvent;
  /** The change counter value of the last change. */
  changedAt: number;
  /** Removed for good: getEvent answers null (the provider's 404). */
  purged: boolean;
}

export interface MemorySourceOptions {
  name: string;
  calendars: string[];
  /**
   * Event-loop turns a read waits before it answers, by calendar: reads started together then
   * finish in another order, as over a network. @default none
   */
  readTurns?: (calendarId: string) => number;
}

export const MEMORY_FULL_READ_REASON = 'cursor expired; read the calendar fully again';

export class MemorySource implements CalendarSource {
  /** The configured source name; `rename` changes it, as an operator editing the config would. */
  name: string;
  readonly calendars: readonly string[];
  /** How often each method was called (failed calls included). */
  readonly calls: Record<MemoryMethod, number> = { readChanges: 0, getEvent: 0, writeJoinDetails: 0, clearJoinDetails: 0, probe: 0 };
  /** Write-backs and clears that changed an event (what a provider would count as write requests). */
  writes = 0;

  private readonly store = new Map<string, Map<string, Stored>>();
  private counter = 0;
  /** Bumped by expireCursors(); cursors of an older epoch are refused. */
  private epoch = 1;
  private etagCounter = 0;
  private readonly failures: Record<MemoryMethod, unknown[]> = { readChanges: [], getEvent: [], writeJoinDetails: [], clearJoinDetails: [], probe: [] };
  private readonly readTurns: ((calendarId: string) => number) | undefined;

  constructor(options: MemorySourceOptions) {
    this.name = options.name;
    this.readTurns = options.readTurns;
    this.calendars = [...options.calendars];
    for (const id of options.calendars) this.store.set(id, new Map());
  }

  // ---- user actions -------------------------------------------------------------------------

  /** Creates or replaces an event, as its organizer (or an invitation arriving) would. */
  put(input: MemoryEventInput): CalendarEvent {
    const event: CalendarEvent = { ...input, source: input.source ?? this.name, etag: this.nextEtag() };
    this.calendar(event.calendarId).set(event.eventId, { event, changedAt: this.tick(), purged: false });
    return structuredClone(event);
  }

  /**
   * The source is renamed in the config (a restart of meetsync with a new `name`): its events
   * carry the new name from now on, as an adapter built from the new config would report them.
   */
  rename(name: string): void {
    this.name = name;
    for (const events of this.store.values()) for (const stored of events.values()) stored.event = { ...stored.event, source: name };
  }

  /** Changes fields of an event, as a user editing it would. */
  patch(calendarId: string, eventId: string, patch: MemoryEventPatch): CalendarEvent {
    const stored = this.existing(calendarId, eventId);
    stored.event = { ...stored.event, ...patch, etag: this.nextEtag() };
    stored.changedAt = this.tick();
    return structuredClone(stored.event);
  }

  /**
   * Deletes an event. Like Google, it stays as a tombstone that keeps only its identity
   * (id, and for an occurrence its series and original start), so the next incremental read
   * reports it as cancelled with the same eventId.
   */
  remove(calendarId: string, eventId: string): void {
    const stored = this.existing(calendarId, eventId);
    const old = stored.event;
    const tombstone: CalendarEvent = {
      source: old.source,
      calendarId,
      eventId,
      isOrganizerCopy: false,
      status: 'cancelled',
      kind: old.kind === 'occurrence' ? 'occurrence' : 'single',
      title: '',
      description: '',
      location: '',
      categories: [],
      allDay: false,
      etag: this.nextEtag(),
    };
    if (old.kind === 'occurrence') {
      if (old.seriesId) tombstone.seriesId = old.seriesId;
      if (old.originalStart) tombstone.originalStart = old.originalStart;
    }
    stored.event = tombstone;
    stored.changedAt = this.tick();
  }

  /** Forgets an event entirely: getEvent answers null, as a provider's 404 would. */
  purge(calendarId: string, eventId: string): void {
    const stored = this.existing(calendarId, eventId);
    stored.purged = true;
    stored.changedAt = this.tick();
  }

  /** Makes every cursor handed out so far invalid (the provider's HTTP 410). */
  expireCursors(): void {
    this.epoch += 1;
  }

  /** Makes the next call of `method` throw `error` (queued: several calls fail in order). */
  failNext(method: MemoryMethod, error: unknown): void {
    this.failures[method].push(error);
  }

  /** Drops the failures queued with failNext (all methods', or one's). */
  clearFailures(method?: MemoryMethod): void {
    for (const m of method ? [method] : (Object.keys(this.failures) as MemoryMethod[])) this.failures[m].length = 0;
  }

  /** The event as stored now, tombstones included (for assertions); undefined when unknown. */
  peek(calendarId: string, eventId: string): CalendarEvent | undefined {
    const stored = this.store.get(calendarId)?.get(eventId);
    return stored && !stored.purged ? structuredClone(stored.event) : undefined;
  }

  /** Every stored event of a calendar, tombstones included. */
  events(calendarId: string): CalendarEvent[] {
    return [...this.calendar(calendarId).values()].filter((s) => !s.purged).map((s) => structuredClone(s.event));
  }

  // ---- CalendarSource -----------------------------------------------------------------------

  async probe(calendarId: string): Promise<void> {
    this.begin('probe');
    this.calendar(calendarId);
  }

  async readChanges(calendarId: string, cursor: string | null, window: SyncWindow): Promise<ChangeSet> {
    for (let turn = this.readTurns?.(calendarId) ?? 0; turn > 0; turn -= 1) await new Promise((resolve) => setImmediate(resolve));
    this.begin('readChanges');
    const events = this.calendar(calendarId);
    const since = cursor === null ? undefined : this.parseCursor(cursor);
    const next = this.cursor();
    if (since !== undefined) {
      const changed = [...events.values()].filter((s) => s.changedAt > since && !s.purged);
      return { events: changed.map((s) => structuredClone(s.event)), cursor: next, full: false };
    }
    // Like Google's full read with timeMin: live events that end after the window starts,
    // series masters (their instances may continue into the window), and cancelled occurrences
    // of live series (events.list `showDeleted`: they come back even when it is false).
    const from = window.from.getTime();
    const full = [...events.values()]
      .filter((s) => !s.purged)
      .map((s) => s.event)
      .filter((e) => {
        if (e.status === 'cancelled') return e.kind === 'occurrence';
        if (e.kind === 'series' || e.end === undefined) return true;
        return Date.parse(e.end) > from;
      });
    const result: ChangeSet = { events: full.map((e) => structuredClone(e)), cursor: next, full: true };
    if (cursor !== null) result.fullReason = MEMORY_FULL_READ_REASON;
    return result;
  }

  async getEvent(calendarId: string, eventId: string): Promise<CalendarEvent | null> {
    this.begin('getEvent');
    const stored = this.calendar(calendarId).get(eventId);
    return stored && !stored.purged ? structuredClone(stored.event) : null;
  }

  async writeJoinDetails(calendarId: string, eventId: string, details: JoinDetails): Promise<WriteBackResult> {
    this.begin('writeJoinDetails');
    const stored = this.organizerCopy(calendarId, eventId, 'write join details', 'throw');
    const plan = planJoinWrite(stored.event, details);
    if (!plan) return this.unchanged(stored.event);
    return this.commitWrite(stored, (updated) => {
      if (plan.description !== undefined) updated.description = plan.description;
      if (plan.location !== undefined) updated.location = plan.location;
      if (plan.stamp) updated.stamp = { ...plan.stamp };
    });
  }

  async clearJoinDetails(calendarId: string, eventId: string): Promise<WriteBackResult> {
    this.begin('clearJoinDetails');
    const stored = this.organizerCopy(calendarId, eventId, 'clear join details', 'skip');
    if (!stored) return { changed: false };
    const plan = planJoinClear(stored.event);
    if (!plan) return this.unchanged(stored.event);
    return this.commitWrite(stored, (updated) => {
      if (plan.description !== undefined) updated.description = plan.description;
      if (plan.location !== undefined) updated.location = plan.location;
      if (plan.removeStamp) delete updated.stamp;
    });
  }

  // ---- internals ----------------------------------------------------------------------------

  /**
   * The event a write-back or clear may change. A gone or cancelled event throws, or is undefined
   * with ifGone 'skip'; an attendee's copy is refused (only the organizer's copy is written).
   */
  private organizerCopy(calendarId: string, eventId: string, what: string, ifGone: 'throw'): Stored;
  private organizerCopy(calendarId: string, eventId: string, what: string, ifGone: 'skip'): Stored | undefined;
  private organizerCopy(calendarId: string, eventId: string, what: string, ifGone: 'throw' | 'skip'): Stored | undefined {
    const stored = this.calendar(calendarId).get(eventId);
    if (!stored || stored.purged || stored.event.status === 'cancelled') {
      if (ifGone === 'skip') return undefined;
      const gone = !stored || stored.purged;
      throw new EventGoneError(this.name, calendarId, `cannot ${what}: event ${eventId} is ${gone ? 'gone' : 'cancelled'}`, gone ? 404 : undefined);
    }
    if (!stored.event.isOrganizerCopy) {
      throw new CalendarError(
        this.name,
        calendarId,
        `refusing to ${what} on event ${eventId}: this is an attendee's copy; only the organizer's copy is written`,
      );
    }
    return stored;
  }

  private unchanged(event: CalendarEvent): WriteBackResult {
    return event.etag ? { changed: false, etag: event.etag } : { changed: false };
  }

  /** Applies a write-back's changes as a new version of the event and counts the write. */
  private commitWrite(stored: Stored, change: (updated: CalendarEvent) => void): WriteBackResult {
    const updated: CalendarEvent = { ...stored.event, etag: this.nextEtag() };
    change(updated);
    stored.event = updated;
    // A provider reports our own write in the next incremental read too (Google does).
    stored.changedAt = this.tick();
    this.writes += 1;
    return { changed: true, etag: updated.etag ?? '' };
  }

  private begin(method: MemoryMethod): void {
    this.calls[method] += 1;
    const failure = this.failures[method].shift();
    if (failure !== undefined) throw failure;
  }

  private calendar(calendarId: string): Map<string, Stored> {
    const events = this.store.get(calendarId);
    if (!events) throw new CalendarError(this.name, calendarId, `unknown calendar ${calendarId}`, 404);
    return events;
  }

  private existing(calendarId: string, eventId: string): Stored {
    const stored = this.calendar(calendarId).get(eventId);
    if (!stored || stored.purged) throw new Error(`MemorySource: no event ${eventId} in ${calendarId}`);
    return stored;
  }

  private tick(): number {
    this.counter += 1;
    return this.counter;
  }

  private nextEtag(): string {
    this.etagCounter += 1;
    return `"mem-${this.etagCounter}"`;
  }

  private cursor(): string {
    return `mem:${this.epoch}:${this.counter}`;
  }

  /** The change counter a cursor stands for; undefined when it is expired or not ours. */
  private parseCursor(cursor: string): number | undefined {
    const match = /^mem:(\d+):(\d+)$/.exec(cursor);
    if (!match || Number(match[1]) !== this.epoch) return undefined;
    return Number(match[2]);
  }
}
