import pLimit, { type LimitFunction } from 'p-limit';
import type { CalendarSource, ChangeSet, ReadHints, SyncWindow } from '../calendars/source.js';

/** How many calendars of one source are read at once, unless the source's config says. */
export const DEFAULT_READ_CONCURRENCY = 8;
/**
 * How far the reads may run ahead of the calendar being applied, in multiples of the
 * concurrency: enough that one slow calendar does not idle the others, few enough that a first
 * full sync of many large calendars does not hold them all in memory at once.
 */
const LOOKAHEAD_FACTOR = 4;

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
 * Reads the calendars of one source ahead of the engine, at most `concurrency` at a time and
 * at most LOOKAHEAD_FACTOR × concurrency calendars ahead of the one taken. A read only reads: it
 * changes nothing and moves no cursor, so reading calendar 5 while calendar 2 is applied is the
 * same as reading it after. Planning and applying stay one calendar at a time, in order (engine.ts).
 */
export class ReadAhead {
  private readonly limit: LimitFunction;
  private readonly reads: Array<Promise<CalendarRead | undefined> | undefined> = [];
  private started = 0;
  private closed = false;

  constructor(
    private readonly source: CalendarSource,
    private readonly calendars: readonly string[],
    private readonly options: ReadAheadOptions,
  ) {
    this.limit = pLimit(Math.max(1, options.concurrency));
  }

  /** Starts the first reads. */
  start(): void {
    this.fill(0);
  }

  /** The read of `calendars[index]` (taken once, in order), starting the reads after it. */
  async take(index: number): Promise<CalendarRead> {
    this.fill(index);
    const read = await this.reads[index];
    this.reads[index] = undefined;
    if (!read) throw new Error(`read of ${this.calendars[index]} taken after the reads were closed`);
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

  private fill(from: number): void {
    const until = Math.min(this.calendars.length, from + 1 + LOOKAHEAD_FACTOR * Math.max(1, this.options.concurrency));
    for (; this.started < until && !this.closed; this.started += 1) {
      const calendarId = this.calendars[this.started]!;
      this.reads[this.started] = this.limit(() => (this.closed ? undefined : this.read(calendarId)));
    }
  }

  private async read(calendarId: string): Promise<CalendarRead> {
    const startedAt = this.options.now();
    try {
      const changes = await this.source.readChanges(calendarId, this.options.cursorOf(calendarId), this.options.windowAt(startedAt), this.options.hintsOf?.(calendarId));
      return { startedAt, ok: true, changes };
    } catch (error) {
      return { startedAt, ok: false, error };
    }
  }
}
