/**
 * The raw copies of organizer events that a calendar's last read returned, kept in the adapter
 * for the write-back that usually follows within the same cycle: the engine reads a calendar,
 * creates meetings for its new events and writes their join details back. Without these copies
 * each write-back would GET the event it has just read, only to learn its etag and fields.
 *
 * A copy is only a starting point: the PATCH made from it carries the copy's etag as If-Match,
 * so an event edited since the read answers 412 and the adapter reads it again (the organizer's
 * edit is never overwritten). A copy serves one write-back (it is stale once written), and a new
 * read of the calendar replaces what an earlier one kept. Vendor shapes stay in the adapters:
 * this class never looks inside a copy.
 */

/** Copies kept across all calendars of a source before the oldest calendars' are dropped. */
export const MAX_FRESH_COPIES = 5_000;

export class FreshCopies<T> {
  private readonly byCalendar = new Map<string, Map<string, T>>();
  private size = 0;

  constructor(private readonly limit = MAX_FRESH_COPIES) {}

  /**
   * What a completed read of `calendarId` returned (event id → copy), in place of what an
   * earlier read kept. The engine reads ahead of the calendar it applies, so several calendars'
   * copies are held; beyond `limit` the calendars read longest ago are forgotten first (their
   * write-backs then read the event as before).
   */
  replace(calendarId: string, copies: Map<string, T>): void {
    this.drop(calendarId);
    if (copies.size === 0 || copies.size > this.limit) return;
    this.byCalendar.set(calendarId, copies);
    this.size += copies.size;
    for (const [oldest, kept] of this.byCalendar) {
      if (this.size <= this.limit) break;
      this.byCalendar.delete(oldest);
      this.size -= kept.size;
    }
  }

  /** The copy of one event from the last read, handed out once. */
  take(calendarId: string, eventId: string): T | undefined {
    const copies = this.byCalendar.get(calendarId);
    const copy = copies?.get(eventId);
    if (copy === undefined) return undefined;
    copies!.delete(eventId);
    this.size -= 1;
    return copy;
  }

  /** Forgets one calendar's copies (a failed read must not leave older ones looking current). */
  drop(calendarId: string): void {
    const kept = this.byCalendar.get(calendarId);
    if (!kept) return;
    this.byCalendar.delete(calendarId);
    this.size -= kept.size;
  }
}
