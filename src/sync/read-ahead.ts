import type { CalendarSource, ChangeSet, ReadHints, SyncWindow } from '../calendars/source.js';

/** How many calendars of one source are read at once, unless the source's config says. */
export const DEFAULT_READ_CONCURRENCY = 8;
/**
 * How far the reads may run ahead of the calendar being applied, in multiples of the
 * concurrency: enough that one slow calendar does not idle the others, few enough that a first
 * full sync of many large calendars does not hold them all in memory at once.
 */
const LOOKAHEAD_FACTOR = 4;
/**
 * No new read starts while the reads finished and waiting to be applied hold more events than
 * this: a first full sync of large calendars then keeps a few of them in memory, not dozens,
 * while a quiet cycle (reads of a few changes each) still reads the full look-ahead.
 */
export const MAX_WAITING_EVENTS = 1_000;

/** One calendar's read, settled: its changes or why it failed, and when it started. */
export type CalendarRead = { startedAt: Date } & ({ ok: true; changes: ChangeSet } | { ok: false; error: unknown });

export interface ReadAheadOptions {
  /** Reads of this source in flight at once. */
  concurrency: number;
  /** The read's clock: its start is `lastAttemptAt` and fixes the sync window. */
  now: () => Date;
  /** The cursor stored for a calendar (null: read it fully). */
  cursorOf: (calendarId: string) => string | null;
  windowAt: (startedAt: Date) => SyncWindow;
  /** What the engine knows of a calendar, handed to its read. */
  hintsOf?: (calendarId: string) => ReadHints;
}

/**
 * Reads the calendars of one source ahead of the engine, at most `concurrency` at a time, at
 * most LOOKAHEAD_FACTOR × concurrency calendars ahead of the one taken, and none beyond the next
 * while the finished reads waiting to be taken hold more than MAX_WAITING_EVENTS events. A read
 * only reads: it changes nothing and moves no cursor, so reading calendar 5 while calendar 2 is
 * applied is the same as reading it after. Planning and applying stay one calendar at a time, in
 * order (engine.ts).
 */
export class ReadAhead {
  private readonly reads: Array<Promise<CalendarRead> | undefined> = [];
  /** Calendars whose read has started, in order. */
  private started = 0;
  /** The calendar the engine takes next. */
  private next = 0;
  private inFlight = 0;
  private closed = false;
  /** Events of the reads that finished and were not taken yet. */
  private waiting = 0;

  constructor(
    private readonly source: CalendarSource,
    private readonly calendars: readonly string[],
    private readonly options: ReadAheadOptions,
  ) {}

  /** Starts the first reads. */
  start(): void {
    this.fill();
  }

  /** The read of `calendars[index]` (taken once, in order), starting the reads after it. */
  async take(index: number): Promise<CalendarRead> {
    if (this.closed) throw new Error(`read of ${this.calendars[index]} taken after the reads were closed`);
    this.next = index;
    this.fill();
    const read = await this.reads[index]!;
    this.reads[index] = undefined;
    this.waiting -= sizeOf(read);
    this.next = index + 1;
    this.fill();
    return read;
  }

  /**
   * No read starts any more; waits until those in flight have settled. The cycle ends (a halt,
   * a stop) with nothing of this source still talking to the provider.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.reads);
  }

  private fill(): void {
    const concurrency = Math.max(1, this.options.concurrency);
    const until = Math.min(this.calendars.length, this.next + 1 + LOOKAHEAD_FACTOR * concurrency);
    while (!this.closed && this.started < until) {
      // The calendar taken next is always read; those after it wait for a free slot, and while
      // the reads not yet taken fill memory.
      const urgent = this.started <= this.next;
      if (!urgent && (this.inFlight >= concurrency || this.waiting > MAX_WAITING_EVENTS)) return;
      const index = this.started;
      this.started += 1;
      this.inFlight += 1;
      this.reads[index] = this.read(this.calendars[index]!).finally(() => {
        this.inFlight -= 1;
        this.fill();
      });
    }
  }

  private async read(calendarId: string): Promise<CalendarRead> {
    const startedAt = this.options.now();
    let read: CalendarRead;
    try {
      const changes = await this.source.readChanges(calendarId, this.options.cursorOf(calendarId), this.options.windowAt(startedAt), this.options.hintsOf?.(calendarId));
      read = { startedAt, ok: true, changes };
    } catch (error) {
      read = { startedAt, ok: false, error };
    }
    this.waiting += sizeOf(read);
    return read;
  }
}

function sizeOf(read: CalendarRead): number {
  return read.ok ? read.changes.events.length : 0;
}
