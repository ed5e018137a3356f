/**
 * Calendars a push notification asked to read (issue 18), coalesced: a calendar is read at most
 * once at a time, and every notification that arrives meanwhile is folded into one follow-up
 * read. A notification says only "something changed", so one read after the last of a burst sees
 * every change of the burst (the calendar's cursor is the truth, not the notification).
 */
export class PushQueue {
  private pending = new Set<string>();
  private inFlight = new Set<string>();
  private listener: (() => void) | undefined;

  /**
   * Asks for a read of the calendar (its leaseKey). 'queued' when a read will come for it;
   * 'coalesced' when one was already waiting (this notification is folded into it).
   */
  poke(key: string): 'queued' | 'coalesced' {
    if (this.pending.has(key)) return 'coalesced';
    this.pending.add(key);
    this.listener?.();
    return 'queued';
  }

  /** Told when a read is asked for: the daemon drains the queue between its cycles. */
  onPoke(listener: () => void): void {
    this.listener = listener;
  }

  /** Calendars waiting to be read. */
  get size(): number {
    return this.pending.size;
  }

  /** The calendars to read now; a notification for one of them during its read queues one follow-up. */
  take(): Set<string> {
    const keys = this.pending;
    this.pending = new Set();
    this.inFlight = keys;
    return keys;
  }

  /** The read of the calendars taken ended; `retry`: it did not happen (the cycle lock was busy), they wait again. */
  done(retry = false): void {
    if (retry) for (const k of this.inFlight) this.pending.add(k);
    this.inFlight = new Set();
  }
}
