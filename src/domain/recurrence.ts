/**
 * Maps a calendar series' RFC 5545 recurrence lines to the platform's `recurring` object
 * (ASSUMED shape, see webmeeting/assumptions.ts), and tells whether a series is over.
 *
 * Every weekday / day-of-month check is made in the event's own zone: providers hand us the first
 * start as a UTC instant, and a Monday 23:30 in New York is a Tuesday in UTC. Series are expanded
 * by stepping local calendar units with luxon so that a 09:00 meeting stays 09:00 across DST
 * (the most common recurring-sync complaint, see notes/PROVIDERS.md: OGCS #67, #1728, #2278).
 * Pure: no I/O, never throws; a rule we cannot read or express comes back as a reason.
 */
import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { isIanaZone } from './zones.js';
import type { Recurrence } from './meeting.js';

export type RecurrenceMapping =
  | { ok: true; recurrence: Recurrence; exdates: string[] /* UTC ISO instants of excluded occurrences */ }
  | { ok: false; reason: string /* one sentence a person can act on */ };

type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Index = luxon weekday - 1 (luxon: 1 = Monday ... 7 = Sunday). */
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
const STEP_UNIT = { DAILY: 'days', WEEKLY: 'weeks', MONTHLY: 'months', YEARLY: 'years' } as const;
/** Parts RFC 5545 defines; anything else is a typo or an extension we cannot honour. */
const NUMBERS = /^[+-]?\d{1,3}(,[+-]?\d{1,3})*$/;
const WEEKDAY_LIST = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)(,([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU))*$/;
const PART_SYNTAX: Record<string, RegExp> = {
  FREQ: /^(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)$/, INTERVAL: /^[1-9]\d*$/, COUNT: /^[1-9]\d*$/, UNTIL: /^\d{8}(T\d{6}Z?)?$/, BYDAY: WEEKDAY_LIST,
  BYMONTHDAY: NUMBERS, BYMONTH: NUMBERS, BYSETPOS: NUMBERS, BYYEARDAY: NUMBERS, BYWEEKNO: NUMBERS,
  BYHOUR: NUMBERS, BYMINUTE: NUMBERS, BYSECOND: NUMBERS, WKST: /^(MO|TU|WE|TH|FR|SA|SU)$/,
};
/** Expansion limit for seriesEndsBefore: about 270 years of a daily series. */
const MAX_STEPS = 100_000;

interface Rule {
  freq: string;
  interval: number;
  parts: Map<string, string>;
  count?: number;
  until?: DateTime;
}

interface Series {
  /** The first occurrence, in the event's zone. */
  start: DateTime;
  rules: Rule[];
  exdates: DateTime[];
  rdates: DateTime[];
  hasExrule: boolean;
}

/** What a mappable rule repeats on; `ordinal` is the nth (or -1 = last) weekday of a monthly series. */
interface Shape {
  frequencyType: Recurrence['frequencyType'];
  monthlyPattern: Recurrence['monthlyPattern'];
  ordinal?: number;
}

export function mapRecurrence(lines: readonly string[], firstStartUtc: string, timeZone: string | undefined): RecurrenceMapping {
  const read = readSeries(lines, firstStartUtc, timeZone);
  if (!read.ok) return read;
  const { rules, rdates, hasExrule, start, exdates } = read.value;
  if (rdates.length > 0) return fail('adds single extra dates (RDATE) to its rule, which the platform cannot hold: make those occurrences separate events');
  if (hasExrule) return fail('excludes dates by rule (EXRULE), which the platform cannot hold: list the cancelled dates individually instead');
  const [rule, ...more] = rules;
  if (!rule) return fail('has no RRULE line, so it does not repeat: make it a single event or give it a repeat rule');
  if (more.length > 0) return fail(`combines ${rules.length} RRULE lines; the platform takes one rule: split it into one series per rule`);
  const shape = shapeOf(rule, start);
  if (!shape.ok) return shape;
  const limit = beyondPlatform(rule, start, shape.value);
  if (limit) return fail(limit);
  // RFC 5545 puts no bound on COUNT; a date does have one (JavaScript's, and so luxon's and the
  // database's, ends in the year 275760). A series whose last occurrence lies past it has no end
  // meetsync can record or the platform can be given: refused here, this event's problem alone
  // (issue 15 finding 8: COUNT=2147483648 failed every cycle with "Invalid time value").
  if (rule.count !== undefined && !start.plus({ [STEP_UNIT[rule.freq as keyof typeof STEP_UNIT]]: rule.count * rule.interval }).isValid) {
    return fail(`repeats ${rule.count} times, which ends past any date a calendar or the platform can hold: give it an end date or fewer repetitions`);
  }
  const recurrence: Recurrence = {
    frequencyType: shape.value.frequencyType,
    frequency: rule.interval,
    monthlyPattern: shape.value.monthlyPattern,
    endsType: rule.count !== undefined ? 'after' : rule.until ? 'on' : 'never',
  };
  if (rule.count !== undefined) recurrence.endsAfter = rule.count;
  if (rule.until) recurrence.endsOn = isoUtc(rule.until);
  const unique = [...new Set(exdates.map(isoUtc))].sort();
  return { ok: true, recurrence, exdates: unique };
}

/**
 * True when the series' last occurrence starts before `now`: it is over. False for never-ending
 * series and whenever that cannot be proven (an unreadable rule, an expansion past MAX_STEPS),
 * so a live series is never skipped. EXDATEs count: a series whose remaining dates are all
 * cancelled is over.
 */
export function seriesEndsBefore(lines: readonly string[], firstStartUtc: string, timeZone: string | undefined, now: Date): boolean {
  const read = readSeries(lines, firstStartUtc, timeZone);
  if (!read.ok) return false;
  const { start, rules, exdates, rdates } = read.value;
  const cutoff = now.getTime();
  const excluded = new Set(exdates.map((d) => d.toMillis()));
  const upcoming = (d: DateTime): boolean => d.toMillis() >= cutoff && !excluded.has(d.toMillis());
  // RFC 5545 3.8.5.3: DTSTART is always the first instance, even when the rule would skip it.
  if (upcoming(start) || rdates.some(upcoming)) return false;
  // A passed UNTIL settles a rule without expanding it.
  return rules.every((rule) => (rule.until !== undefined && rule.until.toMillis() < cutoff) || ruleEndsBefore(rule, start, upcoming));
}

function ruleEndsBefore(rule: Rule, start: DateTime, upcoming: (d: DateTime) => boolean): boolean {
  if (rule.count === undefined && !rule.until) return false;
  const shape = shapeOf(rule, start);
  let taken = 0;
  let steps = 0;
  try {
    for (const occurrence of shape.ok ? stepLocally(rule, start, shape.value) : expandWithIcal(rule, start)) {
      if (++steps > MAX_STEPS) return false;
      if (!occurrence) continue;
      if (rule.until && occurrence > rule.until) return true;
      if (upcoming(occurrence)) return false;
      if (rule.count !== undefined && ++taken >= rule.count) return true;
    }
  } catch {
    return false; // ical.js rejects some values our syntax check lets through (e.g. BYHOUR=25)
  }
  return true;
}

/**
 * Occurrences of a mappable rule, one per period (null for a period without one, e.g. the 31st
 * in April, which RFC 5545 skips rather than clamps). Each is computed from the first start, not
 * from the previous one, so a clamped month never drifts the day; luxon's calendar math keeps
 * the local wall-clock time across DST.
 */
function* stepLocally(rule: Rule, start: DateTime, shape: Shape): Generator<DateTime | null> {
  const unit = STEP_UNIT[rule.freq as keyof typeof STEP_UNIT];
  const calendarMonths = unit === 'months' || unit === 'years';
  for (let k = 0; ; k++) {
    const period = start.plus({ [unit]: k * rule.interval });
    if (shape.ordinal !== undefined) yield weekdayOfMonth(period, start.weekday, shape.ordinal);
    else yield calendarMonths && period.day !== start.day ? null : period; // luxon clamped Jan 31 + 1 month to Feb 28
  }
}

/**
 * Best effort for rules the platform cannot take (several weekdays, BYSETPOS lists...), only to
 * tell whether they are over. ical.js expands the rule in floating wall-clock time, which keeps
 * DST out, and luxon places each occurrence in the zone. UNTIL and COUNT are stripped and applied
 * by the caller, because ical.js compares a UTC UNTIL with floating times.
 */
function* expandWithIcal(rule: Rule, start: DateTime): Generator<DateTime> {
  const text = [...rule.parts].filter(([k]) => k !== 'UNTIL' && k !== 'COUNT').map(([k, v]) => `${k}=${v}`).join(';');
  const { year, month, day, hour, minute, second } = start;
  const iterator = ICAL.Recur.fromString(text).iterator(ICAL.Time.fromData({ year, month, day, hour, minute, second }));
  for (let t = iterator.next(); t; t = iterator.next()) {
    yield DateTime.fromObject({ year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second }, { zone: start.zone });
  }
}

/** The nth (ordinal > 0) or last (-1) `weekday` of the month of `period`, at the period's time of day. */
function weekdayOfMonth(period: DateTime, weekday: number, ordinal: number): DateTime | null {
  const first = period.set({ day: 1 });
  const daysInMonth = first.daysInMonth ?? 28;
  const day =
    ordinal > 0
      ? 1 + ((weekday - first.weekday + 7) % 7) + (ordinal - 1) * 7
      : daysInMonth - ((first.set({ day: daysInMonth }).weekday - weekday + 7) % 7);
  return day <= daysInMonth ? first.set({ day }) : null;
}

/**
 * Why the platform, given this rule, may hold the meeting on other dates than RFC 5545 gives;
 * undefined when the dates are the same. The ASSUMED `recurring` object (README assumption 3,
 * webmeeting/assumptions.ts recurringBody) says only "monthly, dayOfWeek" or "monthly,
 * dayOfMonth": no ordinal and no rule for a month that lacks the day, so the platform can only
 * take both from the first start. meetsync refuses (the reason shows in `status`) rather than
 * create a meeting that silently drifts from the calendar:
 *
 * - The last weekday (BYDAY=-1FR, or BYDAY=FR;BYSETPOS=-1; RFC 5545 3.3.10: "-1MO represents the
 *   last Monday of the month"): from a first start on the 4th Friday the platform repeats on the
 *   4th Friday, a week early in every month with five Fridays. Other negative ordinals are
 *   refused in shapeOf.
 * - The 5th weekday (5FR, BYSETPOS=5): most months have no 5th Friday, and RFC 5545 3.3.10 says
 *   such instances "MUST be ignored and MUST NOT be counted"; whether the platform skips the
 *   month, moves the meeting to the last Friday or elsewhere is not known.
 * - A day of the month past the 28th (monthly on the 29th, 30th or 31st, explicit BYMONTHDAY or
 *   taken from the first start), and a yearly series on 29 February: the same RFC sentence skips
 *   the months (years) without that day; a platform might clamp to the last day (as Outlook does
 *   with "day 31 of every month") or overflow into the next month, and with COUNT it would then end
 *   on another date. The same class of problem as the last weekday, so refused the same way.
 * - A yearly rule with BYDAY (the last Sunday of October) has the same problem and is already
 *   refused by shapeOf: the platform's yearly repeat carries no weekday at all.
 * nth weekday 1 to 4 is safe: every month has four of each weekday.
 */
function beyondPlatform(rule: Rule, start: DateTime, shape: Shape): string | undefined {
  const day = WEEKDAY_NAMES[start.weekday - 1] ?? 'Monday';
  const byDay = rule.parts.get('BYDAY');
  const setPos = rule.parts.get('BYSETPOS');
  const written = `BYDAY=${byDay ?? ''}${setPos === undefined ? '' : `;BYSETPOS=${setPos}`}`;
  const instead = 'or schedule those meetings as single events';
  if (shape.ordinal === -1) {
    const nth = Math.ceil(start.day / 7);
    const platform = `its monthly repeat has no "last" and would keep to the ${ordinalWord(nth)} ${day} of the first occurrence`;
    const effect = nth === 5 ? `, which most months do not have` : `, a week early in months with five ${day}s${fiveWeekdayExample(start)}`;
    return (
      `repeats on the last ${day} of the month (${written}), which the platform cannot hold: ${platform}${effect}; ` +
      `repeat on the 1st to 4th ${day} instead, ${instead}`
    );
  }
  if (shape.ordinal === 5) {
    return (
      `repeats on the 5th ${day} of the month (${written}), which the platform cannot hold: most months have only four ${day}s, ` +
      `the calendar skips those months (RFC 5545) and the platform's monthly repeat cannot say whether it skips them too; ` +
      `repeat on the 1st to 4th ${day} instead, ${instead}`
    );
  }
  const skipsMonths = shape.frequencyType === 'monthly' && shape.monthlyPattern === 'dayOfMonth' && start.day > 28;
  if (skipsMonths) {
    const lacking = { 29: 'February in most years has', 30: 'February has' }[start.day] ?? 'February, April, June, September and November have';
    return (
      `repeats monthly on day ${start.day}, which the platform cannot hold: ${lacking} no day ${start.day}, the calendar skips ` +
      `those months (RFC 5545) and the platform's monthly repeat cannot say whether it skips them too or moves the meeting; ` +
      `repeat on a day from 1 to 28 instead, ${instead}`
    );
  }
  if (shape.frequencyType === 'yearly' && start.month === 2 && start.day === 29) {
    return (
      `repeats yearly on 29 February, which the platform cannot hold: the calendar skips the years without that day (RFC 5545) ` +
      `and the platform's yearly repeat cannot say whether it skips them too or moves the meeting; ` +
      `repeat on 28 February or 1 March instead, ${instead}`
    );
  }
  return undefined;
}

/** ` (December 2021: the 24th instead of the 31st)`: the next month where nth and last differ. */
function fiveWeekdayExample(start: DateTime): string {
  const nth = Math.ceil(start.day / 7);
  for (let k = 1; k <= 12; k++) {
    const month = start.plus({ months: k });
    const last = weekdayOfMonth(month, start.weekday, -1);
    const numbered = weekdayOfMonth(month, start.weekday, nth);
    if (last && numbered && last.day !== numbered.day) {
      return ` (${month.setLocale('en').toFormat('LLLL yyyy')}: the ${ordinalWord(numbered.day)} instead of the ${ordinalWord(last.day)})`;
    }
  }
  return '';
}

/** 1st, 2nd, 3rd, 4th ... 21st, 22nd, 31st. */
function ordinalWord(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** Which platform repeat a rule is, judged against the first start in the event's zone. */
function shapeOf(rule: Rule, start: DateTime): Result<Shape> {
  const { freq, parts } = rule;
  if (!(freq in STEP_UNIT)) return fail(`repeats ${freq.toLowerCase()}, but the platform repeats at most daily: make it a daily series or separate events`);
  const allowed: readonly string[] = { DAILY: [], WEEKLY: ['BYDAY'], MONTHLY: ['BYDAY', 'BYMONTHDAY', 'BYSETPOS'], YEARLY: ['BYMONTH', 'BYMONTHDAY'] }[freq as keyof typeof STEP_UNIT];
  const extra = [...parts].find(([k]) => k.startsWith('BY') && !allowed.includes(k));
  if (extra?.[0] === 'BYDAY' && freq === 'DAILY') return fail(`repeats daily only on ${extra[1].split(',').join(', ')}; the platform repeats daily on every day: split it into weekly series, one per weekday`);
  if (extra) return fail(`repeats ${freq.toLowerCase()} with ${extra[0]}=${extra[1]}, which the platform cannot express: simplify the repeat rule in the calendar`);
  for (const [key, plural, singular, unit] of [
    ['BYDAY', 'weekdays', 'weekday', 'day'],
    ['BYMONTHDAY', 'days of the month', 'day of the month', 'day'],
    ['BYMONTH', 'months', 'month', 'month'],
    ['BYSETPOS', 'weekday positions', 'position', 'position'],
  ] as const) {
    const values = parts.get(key)?.split(',') ?? [];
    if (values.length > 1) return fail(`repeats on several ${plural} (${values.join(', ')}); the platform repeats on one ${singular}: split it into one series per ${unit}`);
  }
  const zone = start.zoneName ?? 'UTC';
  const weekday = WEEKDAYS[start.weekday - 1] ?? 'MO';
  const [dayToken, monthDay, month, setPos] = ['BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS'].map((k) => parts.get(k));
  if (monthDay?.startsWith('-')) return fail(`counts days from the end of the month (BYMONTHDAY=${monthDay}), which the platform cannot express: repeat on a fixed day instead`);
  if (monthDay !== undefined && Number(monthDay) !== start.day) {
    return fail(`repeats on day ${monthDay} of the month but its first occurrence is on day ${start.day} (${zone}): move the first occurrence to that day or change the rule`);
  }
  if (month !== undefined && Number(month) !== start.month) {
    return fail(`repeats in month ${month} but its first occurrence is in month ${start.month} (${zone}): move the first occurrence into that month or change the rule`);
  }
  if (freq === 'DAILY' || freq === 'YEARLY') return ok({ frequencyType: freq === 'DAILY' ? 'daily' : 'yearly', monthlyPattern: '' });
  const match = dayToken === undefined ? null : /^([+-]?\d+)?([A-Z]{2})$/.exec(dayToken);
  const ordinalText = match?.[1];
  if (match && match[2] !== weekday) {
    return fail(`repeats on ${dayToken} but its first occurrence is on a ${weekday} (${zone}): move the first occurrence to that weekday or change the rule`);
  }
  if (freq === 'WEEKLY') {
    if (ordinalText !== undefined) return fail(`repeats weekly on ${dayToken}, a numbered weekday that RFC 5545 allows only in monthly or yearly rules: fix the rule in the calendar`);
    return ok({ frequencyType: 'weekly', monthlyPattern: '' });
  }
  // MONTHLY: on a day of the month, or on the nth / last weekday (BYDAY=2TU, or BYDAY=TU;BYSETPOS=2).
  if (!match && setPos === undefined) return ok({ frequencyType: 'monthly', monthlyPattern: 'dayOfMonth' });
  if (!match || monthDay !== undefined || (ordinalText === undefined) === (setPos === undefined)) {
    const rrule = [...parts].map(([k, v]) => `${k}=${v}`).join(';');
    return fail(`repeats monthly by "${rrule}", which the platform cannot express: repeat on one day of the month or on the nth weekday`);
  }
  const ordinal = Number(ordinalText ?? setPos);
  if (ordinal < -1) {
    // weekdayOfMonth steps only the last weekday from the end; beyondPlatform says why even that is refused.
    const name = WEEKDAY_NAMES[start.weekday - 1] ?? weekday;
    const written = `BYDAY=${dayToken}${setPos === undefined ? '' : `;BYSETPOS=${setPos}`}`;
    return fail(
      `counts ${name}s from the end of the month (${written}), which the platform cannot hold: its monthly repeat only ` +
        `numbers weekdays from the start of the month; repeat on the 1st to 4th ${name} instead, or schedule those meetings as single events`,
    );
  }
  const nth = Math.ceil(start.day / 7);
  const isLast = start.day + 7 > (start.daysInMonth ?? 31);
  if (ordinal === -1 ? !isLast : ordinal !== nth) {
    const where = isLast ? `number ${nth} and the last` : `number ${nth}`;
    const wanted = ordinal === -1 ? 'the last' : `number ${ordinal}`;
    return fail(`repeats on ${wanted} ${weekday} of the month but its first occurrence is ${where} (${zone}): move the first occurrence or change the rule`);
  }
  return ok({ frequencyType: 'monthly', monthlyPattern: 'dayOfWeek', ordinal });
}

function readSeries(lines: readonly string[], firstStartUtc: string, timeZone: string | undefined): Result<Series> {
  const zone = timeZone || 'UTC'; // '' from an adapter means no zone, like undefined
  if (!isIanaZone(zone)) return fail(`has the time zone "${zone}", which is not an IANA zone name: set a standard time zone on the event`);
  const start = DateTime.fromISO(firstStartUtc, { zone });
  if (!start.isValid) return fail(`has a start "${firstStartUtc}" that is not an ISO date-time: re-save the event in the calendar`);
  const series: Series = { start, rules: [], exdates: [], rdates: [], hasExrule: false };
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    const bad = (why: string) => fail(`has the recurrence line "${line}", which cannot be read (${why}): correct the repeat rule in the calendar`);
    const split = splitLine(line);
    if (!split) return bad('no property name before ":"');
    const { name, params, value } = split;
    if (name === 'RRULE') {
      const rule = readRule(value, zone);
      if (typeof rule === 'string') return bad(rule);
      series.rules.push(rule);
    } else if (name === 'EXDATE' || name === 'RDATE') {
      const dates = readDates(params, value, start);
      if (!dates) return bad('a date is not an RFC 5545 DATE or DATE-TIME');
      (name === 'EXDATE' ? series.exdates : series.rdates).push(...dates);
    } else if (name === 'EXRULE') {
      series.hasExrule = true;
    } else {
      return bad(`${name} is not an RRULE, EXRULE, RDATE or EXDATE line`);
    }
  }
  return ok(series);
}

/** Parses an RRULE value; a string return is why it is invalid. */
function readRule(value: string, zone: string): Rule | string {
  const parts = new Map<string, string>();
  for (const segment of value.toUpperCase().split(';')) {
    if (segment === '') continue;
    const [key = '', part, ...rest] = segment.split('=');
    if (part === undefined || rest.length > 0) return `"${segment}" is not NAME=VALUE`;
    const syntax = Object.hasOwn(PART_SYNTAX, key) ? PART_SYNTAX[key] : undefined;
    if (!syntax) return `${key} is not an RFC 5545 rule part`;
    if (!syntax.test(part)) return `${key}=${part} is malformed`;
    if (parts.has(key)) return `${key} appears twice`;
    parts.set(key, part);
  }
  const freq = parts.get('FREQ');
  if (!freq) return 'FREQ is missing';
  const count = parts.get('COUNT');
  const untilText = parts.get('UNTIL');
  if (count !== undefined && untilText !== undefined) return 'COUNT and UNTIL must not both be present';
  const rule: Rule = { freq, interval: Number(parts.get('INTERVAL') ?? 1), parts };
  if (count !== undefined) rule.count = Number(count);
  if (untilText !== undefined) {
    // A DATE UNTIL includes that whole local day; a floating one is wall-clock time in the event's zone.
    const until =
      untilText.length === 8
        ? DateTime.fromFormat(untilText, 'yyyyMMdd', { zone }).endOf('day')
        : DateTime.fromFormat(untilText.slice(0, 15), "yyyyMMdd'T'HHmmss", { zone: untilText.endsWith('Z') ? 'UTC' : zone });
    if (!until.isValid) return `UNTIL=${untilText} is not a real date`;
    rule.until = until;
  }
  return rule;
}

/**
 * EXDATE / RDATE values. A DATE means the occurrence on that local day, so it takes the first
 * start's time of day. A TZID luxon does not know (Exchange writes Windows names such as
 * "Pacific Standard Time") falls back to the event's zone: producers write these lines in the
 * zone of DTSTART, which the adapter already turned into the IANA `timeZone`.
 */
function readDates(params: Map<string, string>, value: string, start: DateTime): DateTime[] | undefined {
  const tzid = params.get('TZID');
  const zone = tzid && isIanaZone(tzid) ? tzid : (start.zoneName ?? 'UTC');
  const dates: DateTime[] = [];
  for (const item of value.split(',')) {
    const text = item.trim().toUpperCase().split('/')[0] ?? ''; // an RDATE PERIOD counts by its start
    let date: DateTime;
    if (/^\d{8}Z?$/.test(text)) {
      // Google writes some DATE values with a stray Z (google_birthday.ics: RDATE:20131210Z).
      const day = DateTime.fromFormat(text.slice(0, 8), 'yyyyMMdd', { zone: start.zone });
      date = day.set({ hour: start.hour, minute: start.minute, second: start.second, millisecond: start.millisecond });
    } else if (/^\d{8}T\d{6}Z?$/.test(text)) {
      date = DateTime.fromFormat(text.slice(0, 15), "yyyyMMdd'T'HHmmss", { zone: text.endsWith('Z') ? 'UTC' : zone });
    } else {
      return undefined;
    }
    if (!date.isValid) return undefined;
    dates.push(date);
  }
  return dates;
}

/** Splits `NAME;P=V;P="quoted:value":VALUE` at the first colon outside double quotes. */
function splitLine(line: string): { name: string; params: Map<string, string>; value: string } | undefined {
  let quoted = false;
  const pieces: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? '';
    if (ch === '"') {
      quoted = !quoted;
    } else if (quoted || (ch !== ';' && ch !== ':')) {
      current += ch;
    } else {
      pieces.push(current);
      current = '';
      if (ch === ':') {
        const [name = '', ...params] = pieces;
        if (!/^[A-Za-z-]+$/.test(name)) return undefined;
        const map = new Map(params.map((p) => [p.slice(0, p.indexOf('=')).toUpperCase(), p.slice(p.indexOf('=') + 1)] as const));
        return { name: name.toUpperCase(), params: map, value: line.slice(i + 1) };
      }
    }
  }
  return undefined;
}

const isoUtc = (date: DateTime): string => date.toUTC().toISO() ?? '';
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
