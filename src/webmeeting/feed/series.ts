import ICAL from 'ical.js';
import { oneLine } from '../../domain/printable.js';

/**
 * When a feed meeting is over for good, so that meetings that ended long ago (their mappings
 * retired by the sync) are not reported as orphans. For a series it is the end of the last
 * occurrence, overrides included.
 *
 * ical.js pitfall (SOURCES.md, "API gotcha"): `new ICAL.Event(vevent)` without options relates
 * EVERY sibling VEVENT that has a RECURRENCE-ID, whatever its UID, so in a feed of many meetings
 * one series' moved occurrence would become another series' occurrence at the same time, and
 * with it that series' end. `{strictExceptions: true}` alone makes the constructor throw on the
 * first foreign override. The overrides with the same UID are passed explicitly instead.
 */

/** A series with more occurrences than this is taken as never ending (an upper bound on work per meeting). */
export const MAX_OCCURRENCES = 5000;

/**
 * Times no meeting has: a DURATION over ten years, a date before 1900 or after 2200. ical.js
 * moves a time across months one at a time (ICAL.Time#adjust, when a time is normalized), so a
 * series with an override lasting two million years took minutes to read, and a range override
 * in year 9999 seconds for each of thousands of occurrences (test/fuzz/ics-feed.test.ts,
 * FUZZ_SEED=998601711); such a series is taken as never ending, without expanding it.
 */
const MAX_DURATION_SECONDS = 10 * 366 * 86_400;
const YEARS = { first: 1900, last: 2200 };

/** The VEVENT's DURATION, or undefined; throws when it is longer than ten years (read.ts: unreadable). */
export function boundedDuration(event: ICAL.Component): ICAL.Duration | undefined {
  const duration = event.getFirstPropertyValue('duration');
  if (!(duration instanceof ICAL.Duration)) return undefined;
  if (Math.abs(duration.toSeconds()) > MAX_DURATION_SECONDS) throw new Error(`${duration.toString()} is longer than ten years`);
  return duration;
}

/** Why `event` has a time no calendar can hold, or undefined (unreadable values are judged elsewhere). */
function beyondCalendars(event: ICAL.Component): string | undefined {
  try {
    boundedDuration(event);
  } catch (err) {
    return `DURATION ${(err as Error).message}`;
  }
  for (const name of ['dtstart', 'dtend', 'recurrence-id']) {
    let value: unknown;
    try {
      value = event.getFirstPropertyValue(name);
    } catch {
      continue;
    }
    // The year as written: reading it does not normalize the time.
    if (value instanceof ICAL.Time && (value.year < YEARS.first || value.year > YEARS.last)) return `${name.toUpperCase()} in year ${value.year}`;
  }
  return undefined;
}

/**
 * The UTC end of the last occurrence of `master`, or null when it never ends (or cannot be
 * told). `item.start`/`item.end` are its first occurrence, already resolved to UTC.
 */
export function seriesLastEnd(
  master: ICAL.Component,
  overrides: readonly ICAL.Component[],
  item: { start?: string; end?: string; unreadable: string[] },
  warn: (message: string) => void,
): string | null {
  if (!item.start) return null;
  const first = item.end ?? item.start;
  if (!master.hasProperty('rrule') && !master.hasProperty('rdate')) return first;
  if (item.unreadable.includes('RRULE')) return null;
  const rule = master.getFirstPropertyValue('rrule');
  if (rule instanceof ICAL.Recur && !rule.isFinite()) return null;

  for (const event of [master, ...overrides]) {
    const why = beyondCalendars(event);
    if (why) {
      warn(`the series has a time no calendar can hold (${why}); taken as never ending`);
      return null;
    }
  }

  const exceptions = overrides.filter((o) => {
    try {
      return o.getFirstPropertyValue('recurrence-id') instanceof ICAL.Time;
    } catch {
      warn('an override of this series has an unreadable RECURRENCE-ID; it is left out of the series');
      return false;
    }
  });
  try {
    const event = new ICAL.Event(master, { exceptions: [...exceptions] });
    const dtstart = event.startDate;
    // Occurrence times are in DTSTART's zone as ical.js knows it (floating for an unknown TZID);
    // their distance from DTSTART is exact either way, so it is added to the UTC first start.
    const base = Date.parse(item.start);
    const startUnix = dtstart.toUnixTime();
    const iterator = event.iterator();
    let last = Date.parse(first);
    for (let n = 0; n < MAX_OCCURRENCES; n += 1) {
      const next = iterator.next();
      if (!next) return new Date(last).toISOString();
      const details = event.getOccurrenceDetails(next);
      const end = base + (details.endDate.toUnixTime() - startUnix) * 1000;
      if (end > last) last = end;
    }
    return null;
  } catch (err) {
    warn(`the series could not be expanded (${oneLine(err instanceof Error ? err.message : String(err), 120)}); taken as never ending`);
    return null;
  }
}
