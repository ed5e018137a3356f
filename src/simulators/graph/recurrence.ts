import { DateTime } from 'luxon';
import { badRequest } from './errors.js';
import { ianaZone, memoized } from './timezones.js';
import type {
  GraphDayOfWeek,
  GraphPatternedRecurrence,
  GraphPatternType,
  GraphRecurrencePattern,
  GraphRecurrenceRange,
  GraphWeekIndex,
} from './types.js';

/**
 * patternedRecurrence as resources/recurrencepattern.md and recurrencerange.md describe it:
 * - daily / weekly (daysOfWeek, weeks counted from firstDayOfWeek) / absoluteMonthly (dayOfMonth) /
 *   relativeMonthly (index + daysOfWeek; "If … daysOfWeek specifies more than one day, the event
 *   falls on the first day that satisfies the pattern") / absoluteYearly / relativeYearly, every
 *   `interval` units;
 * - range endDate (inclusive) / noEnd / numbered, starting at startDate ("The first occurrence …
 *   may be this date or later, depending on the recurrence pattern").
 * A dayOfMonth the month lacks (31 in April, 29 February) falls on the month's last day, as
 * Outlook says when such a series is made ("Some months have fewer than 31 days. For these
 * months, the occurrence will fall on the last day of the month."); Graph's pages are silent.
 * Dates are plain calendar dates; the caller places them at the series' time of day.
 */

const DAYS: GraphDayOfWeek[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const TYPES: GraphPatternType[] = ['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly'];
const INDEXES: GraphWeekIndex[] = ['first', 'second', 'third', 'fourth', 'last'];
const RANGE_TYPES: Array<GraphRecurrenceRange['type']> = ['endDate', 'noEnd', 'numbered'];
const NO_DATE = '0001-01-01';
const MAX_STEPS = 250_000;

type Loose = Record<string, unknown>;

function pick<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  const found = typeof value === 'string' ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined;
  if (!found) throw badRequest(`Invalid recurrence: ${what} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}.`);
  return found;
}

function isDate(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && DateTime.fromISO(value).isValid;
}

const unset = (v: unknown) => v === undefined || v === null || v === 0 || v === '';

/** Validates a request's recurrence and fills Graph's defaults, as Graph answers it. */
export function normalizeRecurrence(input: unknown, eventZone: string): GraphPatternedRecurrence {
  const rec = (input ?? {}) as Loose;
  const p = (rec.pattern ?? {}) as Loose;
  const r = (rec.range ?? {}) as Loose;
  const type = pick(p.type, TYPES, 'pattern.type');
  const interval = p.interval;
  if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 1) {
    throw badRequest('Invalid recurrence: pattern.interval must be a positive integer.');
  }
  const days = Array.isArray(p.daysOfWeek) ? p.daysOfWeek.map((d) => pick(d, DAYS, 'pattern.daysOfWeek[]')) : [];
  const needsDays = type === 'weekly' || type === 'relativeMonthly' || type === 'relativeYearly';
  if (needsDays && days.length === 0) throw badRequest(`Invalid recurrence: pattern.daysOfWeek is required for ${type}.`);
  const needsDay = type === 'absoluteMonthly' || type === 'absoluteYearly';
  const dayOfMonth = unset(p.dayOfMonth) ? 0 : p.dayOfMonth;
  if (typeof dayOfMonth !== 'number' || (needsDay && !(Number.isInteger(dayOfMonth) && dayOfMonth >= 1 && dayOfMonth <= 31))) {
    throw badRequest(`Invalid recurrence: pattern.dayOfMonth must be 1-31 for ${type}.`);
  }
  const needsMonth = type === 'absoluteYearly' || type === 'relativeYearly';
  const month = unset(p.month) ? 0 : p.month;
  if (typeof month !== 'number' || (needsMonth && !(Number.isInteger(month) && month >= 1 && month <= 12))) {
    throw badRequest(`Invalid recurrence: pattern.month must be 1-12 for ${type}.`);
  }
  const pattern: GraphRecurrencePattern = {
    type,
    interval,
    month: needsMonth ? month : 0,
    dayOfMonth: needsDay ? dayOfMonth : 0,
    daysOfWeek: needsDays ? days : [],
    firstDayOfWeek: unset(p.firstDayOfWeek) ? 'sunday' : pick(p.firstDayOfWeek, DAYS, 'pattern.firstDayOfWeek'),
    index: unset(p.index) ? 'first' : pick(p.index, INDEXES, 'pattern.index'),
  };

  const rangeType = pick(r.type, RANGE_TYPES, 'range.type');
  if (!isDate(r.startDate)) throw badRequest('Invalid recurrence: range.startDate (yyyy-MM-dd) is required.');
  const zone = unset(r.recurrenceTimeZone) ? eventZone : String(r.recurrenceTimeZone);
  if (!ianaZone(zone)) throw badRequest(`Invalid recurrence: range.recurrenceTimeZone '${zone}' is not supported.`);
  let endDate = NO_DATE;
  let count = 0;
  if (rangeType === 'endDate') {
    if (!isDate(r.endDate) || r.endDate < r.startDate) {
      throw badRequest('Invalid recurrence: range.endDate (yyyy-MM-dd, not before startDate) is required for endDate.');
    }
    endDate = r.endDate;
  }
  if (rangeType === 'numbered') {
    const n = r.numberOfOccurrences;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw badRequest('Invalid recurrence: range.numberOfOccurrences must be positive for numbered.');
    }
    count = n;
  }
  return {
    pattern,
    range: { type: rangeType, startDate: r.startDate, endDate, recurrenceTimeZone: zone, numberOfOccurrences: count },
  };
}

function dow(day: GraphDayOfWeek): number {
  return DAYS.indexOf(day) + 1;
}

/** The `index`-th (or last) of any of `days` in a month; the earliest when several days match. */
function relativeDay(year: number, month: number, days: GraphDayOfWeek[], index: GraphWeekIndex): DateTime {
  const first = DateTime.utc(year, month, 1);
  const candidates = days.map((day) => {
    if (index === 'last') {
      const last = first.endOf('month').startOf('day');
      return last.minus({ days: (last.weekday - dow(day) + 7) % 7 });
    }
    const firstMatch = first.plus({ days: (dow(day) - first.weekday + 7) % 7 });
    return firstMatch.plus({ weeks: INDEXES.indexOf(index) });
  });
  return candidates.reduce((a, b) => (b < a ? b : a));
}

function clampedDay(year: number, month: number, day: number): DateTime {
  const first = DateTime.utc(year, month, 1);
  return first.set({ day: Math.min(day, first.daysInMonth ?? 28) });
}

/** Candidate dates of the pattern from the range's start, ascending, without the range's end. */
function* candidates(rec: GraphPatternedRecurrence): Generator<DateTime> {
  const { pattern: p } = rec;
  const start = DateTime.fromISO(rec.range.startDate, { zone: 'utc' });
  for (let k = 0; ; k += 1) {
    switch (p.type) {
      case 'daily':
        yield start.plus({ days: k * p.interval });
        break;
      case 'weekly': {
        const weekStart = start.minus({ days: (start.weekday - dow(p.firstDayOfWeek) + 7) % 7 }).plus({ weeks: k * p.interval });
        const offsets = p.daysOfWeek.map((d) => (dow(d) - dow(p.firstDayOfWeek) + 7) % 7).sort((a, b) => a - b);
        for (const offset of offsets) {
          const date = weekStart.plus({ days: offset });
          if (date >= start) yield date;
        }
        break;
      }
      case 'absoluteMonthly':
      case 'relativeMonthly': {
        const month = start.startOf('month').plus({ months: k * p.interval });
        const date =
          p.type === 'absoluteMonthly'
            ? clampedDay(month.year, month.month, p.dayOfMonth)
            : relativeDay(month.year, month.month, p.daysOfWeek, p.index);
        if (date >= start) yield date;
        break;
      }
      case 'absoluteYearly':
      case 'relativeYearly': {
        const year = start.year + k * p.interval;
        const date =
          p.type === 'absoluteYearly' ? clampedDay(year, p.month, p.dayOfMonth) : relativeDay(year, p.month, p.daysOfWeek, p.index);
        if (date >= start) yield date;
        break;
      }
    }
  }
}

/** The series' occurrence dates (yyyy-MM-dd) from `fromDate` to `toDate`, both inclusive. */
export function occurrenceDates(rec: GraphPatternedRecurrence, fromDate: string, toDate: string): string[] {
  return [...cachedDates(JSON.stringify(rec), fromDate, toDate)];
}

/** occurrenceDates of a pattern (as JSON), kept (graph/timezones.ts memoized: a performance cache). */
const cachedDates = memoized((recJson: string, fromDate: string, toDate: string): string[] =>
  computeOccurrenceDates(JSON.parse(recJson) as GraphPatternedRecurrence, fromDate, toDate),
);

function computeOccurrenceDates(rec: GraphPatternedRecurrence, fromDate: string, toDate: string): string[] {
  const found: string[] = [];
  let count = 0;
  let steps = 0;
  for (const candidate of candidates(rec)) {
    const date = candidate.toISODate()!;
    if (rec.range.type === 'endDate' && date > rec.range.endDate) break;
    if (rec.range.type === 'numbered' && count >= rec.range.numberOfOccurrences) break;
    if (date > toDate || (steps += 1) > MAX_STEPS) break;
    count += 1;
    if (date >= fromDate) found.push(date);
  }
  return found;
}

export function isOccurrenceDate(rec: GraphPatternedRecurrence, date: string): boolean {
  return occurrenceDates(rec, date, date).length === 1;
}
