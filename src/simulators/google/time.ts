import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { badRequest, required } from './errors.js';
import type { GoogleEvent, GoogleEventDateTime } from './types.js';

/**
 * Time and recurrence as Calendar v3 states them:
 * - EventDateTime: `dateTime` is RFC 3339 and needs an offset unless `timeZone` is given;
 *   recurring events must carry `timeZone`, the zone the recurrence expands in.
 * - recurrence: RRULE / EXDATE / RDATE lines of RFC 5545, without DTSTART.
 * - Instance ids: `<seriesId>_<original start in UTC, YYYYMMDDTHHMMSSZ>` for timed series and
 *   `<seriesId>_<YYYYMMDD>` for all-day ones (compass-recurring-* fixtures, which cross a DST
 *   change: 08:00 America/Chicago in March is `_20250325T130000Z`).
 * RRULEs are expanded in wall-clock time of the series' zone with ical.js, then placed in the zone
 * with luxon, so a daily 08:00 series stays at 08:00 across DST as Google's does.
 */

/** One occurrence of a series: its original start. */
export interface Occurrence {
  startMs: number;
  /** Set for all-day series. */
  date?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;

/** Validates an EventDateTime from a request body; `field` names it in the error. */
export function checkDateTime(dt: GoogleEventDateTime | undefined, field: 'start' | 'end', recurring: boolean): void {
  if (!dt || (dt.date === undefined && dt.dateTime === undefined)) {
    throw required(field === 'start' ? 'Missing start time.' : 'Missing end time.');
  }
  if (dt.date !== undefined && !(DATE.test(dt.date) && DateTime.fromISO(dt.date).isValid)) {
    throw badRequest(`Invalid ${field} date.`);
  }
  if (dt.dateTime !== undefined) {
    if (!HAS_OFFSET.test(dt.dateTime) && !dt.timeZone) {
      throw badRequest(`Missing time zone definition for ${field} time.`, undefined, 'required');
    }
    if (toMillis(dt, 'UTC') === undefined) throw badRequest(`Invalid ${field} time.`);
  }
  if (dt.timeZone !== undefined && !DateTime.local().setZone(dt.timeZone).isValid) {
    throw badRequest(`Invalid time zone definition for ${field} time.`);
  }
  if (recurring && dt.dateTime !== undefined && !dt.timeZone) {
    // EventDateTime.timeZone: "For recurring events this field is required".
    throw badRequest(`Missing time zone definition for ${field} time.`, undefined, 'required');
  }
}

/** The instant an EventDateTime names; all-day dates start at midnight in `zone`. */
export function toMillis(dt: GoogleEventDateTime | undefined, zone: string): number | undefined {
  if (!dt) return undefined;
  if (dt.dateTime !== undefined) {
    const parsed = HAS_OFFSET.test(dt.dateTime)
      ? DateTime.fromISO(dt.dateTime, { setZone: true })
      : DateTime.fromISO(dt.dateTime, { zone: dt.timeZone ?? zone });
    return parsed.isValid ? parsed.toMillis() : undefined;
  }
  if (dt.date !== undefined) {
    const parsed = DateTime.fromISO(dt.date, { zone: dt.timeZone ?? zone });
    return parsed.isValid ? parsed.toMillis() : undefined;
  }
  return undefined;
}

/** RFC 3339 with the offset of `zone`, seconds precision, as Google writes it. */
export function formatInZone(ms: number, zone: string): string {
  const dt = DateTime.fromMillis(ms, { zone });
  return (dt.isValid ? dt : DateTime.fromMillis(ms, { zone: 'UTC' })).toISO({ suppressMilliseconds: true })!;
}

/** Re-expresses a stored EventDateTime in the response zone, keeping its own `timeZone`. */
export function presentDateTime(dt: GoogleEventDateTime, zone: string): GoogleEventDateTime {
  if (dt.dateTime === undefined) return { ...dt };
  const ms = toMillis(dt, zone);
  return ms === undefined ? { ...dt } : { ...dt, dateTime: formatInZone(ms, zone) };
}

export function instanceId(seriesId: string, occurrence: Occurrence): string {
  if (occurrence.date !== undefined) return `${seriesId}_${occurrence.date.replaceAll('-', '')}`;
  return `${seriesId}_${DateTime.fromMillis(occurrence.startMs, { zone: 'UTC' }).toFormat("yyyyMMdd'T'HHmmss'Z'")}`;
}

/** Splits `<seriesId>_<suffix>` into its parts, or undefined when `id` is not an instance id. */
export function parseInstanceId(id: string): { seriesId: string; suffix: string } | undefined {
  const match = /^(.+)_(\d{8}(?:T\d{6}Z)?)$/.exec(id);
  return match?.[1] && match[2] ? { seriesId: match[1], suffix: match[2] } : undefined;
}

/** The occurrence an instance suffix names, in the master's terms. */
export function occurrenceFromSuffix(master: GoogleEvent, suffix: string): Occurrence | undefined {
  const zone = master.start?.timeZone ?? 'UTC';
  if (/^\d{8}$/.test(suffix)) {
    const date = `${suffix.slice(0, 4)}-${suffix.slice(4, 6)}-${suffix.slice(6, 8)}`;
    return { date, startMs: DateTime.fromISO(date, { zone }).toMillis() };
  }
  const dt = DateTime.fromFormat(suffix, "yyyyMMdd'T'HHmmss'Z'", { zone: 'UTC' });
  return dt.isValid ? { startMs: dt.toMillis() } : undefined;
}

/** originalStartTime of an instance, shaped like its master's start (compass fixtures). */
export function originalStartTime(master: GoogleEvent, occurrence: Occurrence): GoogleEventDateTime {
  const zone = master.start?.timeZone ?? 'UTC';
  if (occurrence.date !== undefined) return { date: occurrence.date };
  return { dateTime: formatInZone(occurrence.startMs, zone), ...(master.start?.timeZone ? { timeZone: zone } : {}) };
}

/** Milliseconds from the master's start to its end (the length of every plain instance). */
export function durationMs(master: GoogleEvent): number {
  const zone = master.start?.timeZone ?? 'UTC';
  const start = toMillis(master.start, zone) ?? 0;
  const end = toMillis(master.end, zone) ?? start;
  return end - start;
}

const MAX_STEPS = 100_000;

/**
 * Original starts of `master`'s occurrences with start < toMs and start + duration > fromMs,
 * at most `limit` of them, in order. `complete` is false when the series runs past what was
 * expanded (no UNTIL/COUNT or the limits were hit).
 */
export function expand(
  master: GoogleEvent,
  fromMs: number,
  toMs: number,
  limit = 1000,
): { occurrences: Occurrence[]; complete: boolean } {
  const zone = master.start?.timeZone ?? 'UTC';
  const allDay = master.start?.date !== undefined;
  const firstMs = toMillis(master.start, zone);
  if (firstMs === undefined) return { occurrences: [], complete: true };
  const length = durationMs(master);
  const local = DateTime.fromMillis(firstMs, { zone });
  const dtstart = allDay
    ? ICAL.Time.fromDateString(master.start!.date!)
    : ICAL.Time.fromData({ year: local.year, month: local.month, day: local.day, hour: local.hour, minute: local.minute, second: local.second, isDate: false });

  const { rrules, exdates, rdates } = parseRecurrence(master.recurrence ?? [], zone, allDay);
  const starts = new Map<string, Occurrence>();
  let complete = true;
  const consider = (occ: Occurrence): boolean => {
    if (occ.startMs >= toMs) return false;
    const key = occ.date ?? String(occ.startMs);
    if (occ.startMs + Math.max(length, 1) > fromMs && !exdates.has(key)) starts.set(key, occ);
    return true;
  };
  const toOccurrence = (t: ICAL.Time): Occurrence =>
    allDay
      ? { date: t.toString().slice(0, 10), startMs: DateTime.fromISO(t.toString().slice(0, 10), { zone }).toMillis() }
      : { startMs: DateTime.fromObject({ year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second }, { zone }).toMillis() };

  // Placing an occurrence in its zone is the slow step; occurrences that end well before fromMs
  // (two days of margin for offsets) are skipped on their wall-clock value alone.
  const skipMs = fromMs - Math.max(length, 0) - 2 * 86_400_000;
  const skipLocal = skipMs > firstMs ? DateTime.fromMillis(skipMs, { zone }) : undefined;
  const skipBefore = skipLocal
    ? ICAL.Time.fromData({ year: skipLocal.year, month: skipLocal.month, day: skipLocal.day, hour: skipLocal.hour, minute: skipLocal.minute, second: skipLocal.second, isDate: false })
    : undefined;

  if (rrules.length === 0) consider(toOccurrence(dtstart));
  for (const rule of rrules) {
    const it = rule.iterator(dtstart);
    let steps = 0;
    for (let t = it.next(); ; t = it.next()) {
      if (!t) break;
      if (skipBefore && t.compare(skipBefore) < 0 && ++steps <= MAX_STEPS) continue;
      if (++steps > MAX_STEPS || !consider(toOccurrence(t))) {
        complete = false;
        break;
      }
    }
  }
  for (const occ of rdates) consider(occ);
  const occurrences = [...starts.values()].sort((a, b) => a.startMs - b.startMs);
  if (occurrences.length > limit) complete = false;
  return { occurrences: occurrences.slice(0, limit), complete };
}

/** Whether `occurrence` is one of the series' original starts. */
export function isOccurrence(master: GoogleEvent, occurrence: Occurrence): boolean {
  const found = expand(master, occurrence.startMs, occurrence.startMs + 1, 2).occurrences;
  return found.some((o) => (occurrence.date !== undefined ? o.date === occurrence.date : o.startMs === occurrence.startMs));
}

/** End of the last occurrence, or Infinity for a series without end. */
export function seriesEndMs(master: GoogleEvent): number {
  const rules = (master.recurrence ?? []).filter((l) => /^RRULE[:;]/i.test(l));
  if (rules.some((l) => !/(UNTIL|COUNT)=/i.test(l))) return Infinity; // no need to walk an endless rule
  const { occurrences, complete } = expand(master, -8.64e15, 8.64e15, 100_000);
  const last = occurrences.at(-1);
  if (!complete || !last) return complete ? -Infinity : Infinity;
  return last.startMs + durationMs(master);
}

function parseRecurrence(
  lines: string[],
  zone: string,
  allDay: boolean,
): { rrules: ICAL.Recur[]; exdates: Set<string>; rdates: Occurrence[] } {
  const rrules: ICAL.Recur[] = [];
  const exdates = new Set<string>();
  const rdates: Occurrence[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) throw badRequest('Invalid recurrence rule.');
    const [name = '', ...params] = line.slice(0, colon).toUpperCase().split(';');
    const value = line.slice(colon + 1);
    const tzid = params.find((p) => p.startsWith('TZID='))?.slice(5);
    if (name === 'RRULE') {
      rrules.push(parseRule(value, zone));
    } else if (name === 'EXDATE' || name === 'RDATE') {
      for (const item of value.split(',')) {
        const occ = parseDateValue(item.trim(), tzid ?? zone, allDay);
        if (!occ) throw badRequest('Invalid recurrence rule.');
        if (name === 'EXDATE') exdates.add(occ.date ?? String(occ.startMs));
        else rdates.push(occ);
      }
    } else if (name !== 'EXRULE') {
      throw badRequest('Invalid recurrence rule.');
    }
  }
  return { rrules, exdates, rdates };
}

/** ical.js compares UNTIL with the floating wall-clock start, so a UTC UNTIL is moved into `zone`. */
function parseRule(value: string, zone: string): ICAL.Recur {
  const localized = value.replace(/UNTIL=(\d{8}T\d{6})Z/i, (_m, utc: string) => {
    const dt = DateTime.fromFormat(utc, "yyyyMMdd'T'HHmmss", { zone: 'UTC' }).setZone(zone);
    return `UNTIL=${dt.toFormat("yyyyMMdd'T'HHmmss")}`;
  });
  try {
    return ICAL.Recur.fromString(localized);
  } catch {
    throw badRequest('Invalid recurrence rule.');
  }
}

function parseDateValue(item: string, zone: string, allDay: boolean): Occurrence | undefined {
  if (/^\d{8}$/.test(item)) {
    const date = `${item.slice(0, 4)}-${item.slice(4, 6)}-${item.slice(6, 8)}`;
    return allDay ? { date, startMs: DateTime.fromISO(date, { zone }).toMillis() } : undefined;
  }
  const utc = item.endsWith('Z') || item.endsWith('z');
  const dt = DateTime.fromFormat(item.replace(/z$/i, ''), "yyyyMMdd'T'HHmmss", { zone: utc ? 'UTC' : zone });
  if (!dt.isValid) return undefined;
  return allDay ? { date: dt.setZone(zone).toISODate()!, startMs: dt.startOf('day').toMillis() } : { startMs: dt.toMillis() };
}
