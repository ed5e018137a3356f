import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';

/**
 * Retirement forgets the mappings of meetings over before the sync window (store.retire), so a
 * full re-read need not confirm each of them with the provider. It is the one thing the engine
 * does on the clock's word alone: a clock that jumps forward past `window.pastDays` (a VM
 * resumed with a wrong RTC, an NTP step, a mistyped `date`) and back again would have forgotten
 * live mappings, and with them the cancellations that follow (a deleted event comes back with no
 * stamp to adopt it by: Google's and Graph's tombstones carry only the id). Issue 15, finding 12.
 *
 * So retirement trusts a time only once the clock has been seen to pass it and then go on for a
 * day: each cycle leaves a mark (at most one an hour, kept in engine_state), and the cutoff is
 * the window's start as of the newest mark at least a day old. A clock that leaps forward leaves
 * marks in the future, but they are a day old only after a day of wrong time; corrected before
 * that, it drops them (a mark after now is a mark a wrong clock left) and nothing live was
 * retired. The cost: a mapping is forgotten a day (and up to an hour) later than its window says,
 * which only keeps it in the database that much longer. Why not a server's Date header: a cycle
 * with no change talks to no server that would give one (the request counts stay at their
 * minimum), and a one-shot `meetsync sync` has seen no answer when it starts.
 */

/** engine_state row: the clock marks, a JSON array of ISO instants, oldest first. */
const CLOCK_MARKS = 'clock_marks';
/** A mark at most this often. */
const MARK_EVERY_MS = 3_600_000;
/** Marks kept: more than a day's worth at one an hour, so a day-old mark survives a day of wrong marks. */
const MARKS_KEPT = 60;
/** How long the clock must go on past a time before retirement trusts it. */
export const CLOCK_HOLD_MS = 24 * 3_600_000;

function marksOf(store: Store): number[] {
  const text = store.engineState(CLOCK_MARKS);
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string').map(Date.parse).filter(Number.isFinite) : [];
  } catch {
    // A row this module did not write (a hand edit): marks start again; retirement waits a day.
    return [];
  }
}

/**
 * Leaves this cycle's mark and answers the time retirement may trust: the newest mark at least
 * CLOCK_HOLD_MS before `now`, or undefined when there is none yet (a new database, a clock just
 * set back).
 */
export function trustedTime(store: Store, now: Date): Date | undefined {
  const at = now.getTime();
  // Marks after now were left by a clock that was ahead and has come back: they vouch for nothing.
  const stored = marksOf(store);
  const marks = stored.filter((m) => m <= at);
  const newest = marks.at(-1);
  if (newest === undefined || at - newest >= MARK_EVERY_MS) marks.push(at);
  // Written only when it changed: a cycle with nothing to do does no more database work than before.
  if (marks.length !== stored.length || marks.at(-1) !== stored.at(-1)) {
    store.setEngineState(CLOCK_MARKS, JSON.stringify(marks.slice(-MARKS_KEPT).map((m) => new Date(m).toISOString())));
  }
  const trusted = marks.filter((m) => m <= at - CLOCK_HOLD_MS).at(-1);
  return trusted === undefined ? undefined : new Date(trusted);
}

/**
 * Retires the mappings of meetings that ended before the sync window as of the trusted time
 * (see above); returns how many.
 */
export function retireEnded(store: Store, now: Date, pastDays: number, logger: Logger): number {
  const trusted = trustedTime(store, now);
  if (!trusted) return 0;
  const retired = store.retire(new Date(trusted.getTime() - pastDays * 86_400_000));
  if (retired > 0) logger.info({ retired }, `retired ${retired} mapping(s) of events that ended before the sync window`);
  return retired;
}
