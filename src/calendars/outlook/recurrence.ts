import { DateTime } from 'luxon';

/**
 * A Graph series master's `recurrence` (patternedRecurrence: `pattern` + `range`) written as RFC
 * 5545 RRULE lines, so the engine's one recurrence mapping (src/domain/recurrence.ts) serves Google
 * and Outlook alike. Pure; never throws: a pattern Graph did not document becomes a rule the
 * engine refuses with a reason (the series is skipped and `status` says why), never a failed read.
 *
 * Sources (learn.microsoft.com/graph/api/resources/...):
 * - recurrencePattern: `type` daily | weekly | absoluteMonthly | relativeMonthly | absoluteYearly
 *   | relativeYearly; `interval` in units of the type; `daysOfWeek` (weekly, relative*; with more
 *   than one day a relative pattern falls on "the first day that satisfies the pattern");
 *   `index` first | second | third | fourth | last ("Default is first"); `dayOfMonth`
 *   (absolute*); `month` 1-12 (*Yearly); `firstDayOfWeek` (weekly, "Default is sunday").
 * - recurrenceRange: `type` endDate | noEnd | numbered (older pages: EndDate, NoEnd, Numbered);
 *   `endDate` "the date to stop applying the recurrence pattern", so occurrences on that date
 *   still happen; `numberOfOccurrences`; `recurrenceTimeZone` "Time zone for the startDate and
 *   endDate properties... If not specified, the time zone of the event is used."
 */

export interface GraphRecurrencePattern {
  type: string;
  interval?: number | null | undefined;
  month?: number | null | undefined;
  dayOfMonth?: number | null | undefined;
  daysOfWeek?: readonly string[] | null | undefined;
  firstDayOfWeek?: string | null | undefined;
  index?: string | null | undefined;
}

export interface GraphRecurrenceRange {
  type: string;
  startDate?: string | null | undefined;
  endDate?: string | null | undefined;
  numberOfOccurrences?: number | null | undefined;
  recurrenceTimeZone?: string | null | undefined;
}

export interface GraphRecurrence {
  pattern: GraphRecurrencePattern;
  range: GraphRecurrenceRange;
}

const WEEKDAYS: Record<string, string> = {
  sunday: 'SU',
  monday: 'MO',
  tuesday: 'TU',
  wednesday: 'WE',
  thursday: 'TH',
  friday: 'FR',
  saturday: 'SA',
};

/** weekIndex -> the RFC 5545 ordinal (3.3.10: "-1MO represents the last Monday"). */
const ORDINALS: Record<string, number> = { first: 1, second: 2, third: 3, fourth: 4, last: -1 };

function weekday(name: string): string {
  // An unknown name stays visible in the rule; the engine then refuses the series by name.
  return WEEKDAYS[name.toLowerCase()] ?? unknownToken(name);
}

/**
 * An undocumented name as it is written into the rule: upper case, and every character that is
 * not a letter, digit or dash made `_`. Raw, a `;` or `=` in it would add parts to the rule
 * (type "daily;count=1" read as a valid one-occurrence rule instead of being refused) and a line
 * break would split the RRULE line; `_` appears in no RFC 5545 value, so the engine still refuses it.
 */
function unknownToken(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9-]/g, '_');
}

/** Positive whole numbers only: Graph sends 0 for "not used" (user-post-events.md Example 3: `month: 0`). */
function positive(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The BYDAY (and BYSETPOS) parts of a relative pattern: `2TU`, `-1FR`, or `MO,TU;BYSETPOS=1`. */
function relativeDays(pattern: GraphRecurrencePattern): string[] {
  const days = (pattern.daysOfWeek ?? []).map(weekday);
  const ordinal = ORDINALS[(pattern.index ?? 'first').toLowerCase()];
  const position = ordinal === undefined ? unknownToken(pattern.index ?? '') : String(ordinal);
  if (days.length === 1) return [`BYDAY=${position}${days[0]}`];
  // Several days: "the first day that satisfies the pattern" counted by index, which is
  // RFC 5545's BYSETPOS over the set of those weekdays in the month.
  return [`BYDAY=${days.join(',')}`, `BYSETPOS=${position}`];
}

function patternParts(pattern: GraphRecurrencePattern): string[] {
  const interval = positive(pattern.interval) ?? 1;
  const type = pattern.type.toLowerCase();
  const days = (pattern.daysOfWeek ?? []).map(weekday);
  const monthDay = positive(pattern.dayOfMonth);
  const month = positive(pattern.month);
  switch (type) {
    case 'daily':
      return ['FREQ=DAILY', `INTERVAL=${interval}`];
    case 'weekly': {
      const parts = ['FREQ=WEEKLY', `INTERVAL=${interval}`];
      if (days.length > 0) parts.push(`BYDAY=${days.join(',')}`);
      // The week start decides which weeks count when the interval skips weeks (RFC 5545 3.3.10
      // WKST); Graph's default is Sunday, RFC 5545's Monday.
      if (interval > 1) parts.push(`WKST=${weekday(pattern.firstDayOfWeek ?? 'sunday')}`);
      return parts;
    }
    case 'absolutemonthly':
      return ['FREQ=MONTHLY', `INTERVAL=${interval}`, ...(monthDay ? [`BYMONTHDAY=${monthDay}`] : [])];
    case 'relativemonthly':
      return ['FREQ=MONTHLY', `INTERVAL=${interval}`, ...relativeDays(pattern)];
    case 'absoluteyearly':
      return ['FREQ=YEARLY', `INTERVAL=${interval}`, ...(month ? [`BYMONTH=${month}`] : []), ...(monthDay ? [`BYMONTHDAY=${monthDay}`] : [])];
    case 'relativeyearly':
      return ['FREQ=YEARLY', `INTERVAL=${interval}`, ...(month ? [`BYMONTH=${month}`] : []), ...relativeDays(pattern)];
    default:
      // Not a documented type: written as its own FREQ, which the engine reports as unreadable.
      return [`FREQ=${unknownToken(pattern.type)}`, `INTERVAL=${interval}`];
  }
}

/**
 * UNTIL for a range that ends on `endDate`: the last instant of that day in the range's zone,
 * in UTC (RFC 5545 3.3.10: UNTIL is UTC when DTSTART has a zone), so an occurrence late on the
 * end date still counts.
 */
function untilOf(endDate: string, zone: string): string | undefined {
  const end = DateTime.fromISO(endDate.slice(0, 10), { zone }).endOf('day');
  if (!end.isValid) return undefined;
  return end.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'");
}

function rangeParts(range: GraphRecurrenceRange, zone: string): string[] {
  const type = range.type.toLowerCase();
  if (type === 'numbered') {
    const count = positive(range.numberOfOccurrences);
    // numbered without a positive count is malformed; the series is then read as never ending
    // rather than dropped, and the platform meeting can be corrected when Graph sends a count.
    return count ? [`COUNT=${count}`] : [];
  }
  if (type === 'enddate' && range.endDate) {
    const until = untilOf(range.endDate, zone);
    return until ? [`UNTIL=${until}`] : [];
  }
  return [];
}

/**
 * The RRULE line of a Graph recurrence. `zone` is the IANA zone of the series (the range's
 * `recurrenceTimeZone`, else the event's), used to place `endDate`; UTC when unknown.
 */
export function rruleOf(recurrence: GraphRecurrence, zone: string | undefined): string[] {
  const parts = [...patternParts(recurrence.pattern), ...rangeParts(recurrence.range, zone ?? 'UTC')];
  return [`RRULE:${parts.join(';')}`];
}
