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
