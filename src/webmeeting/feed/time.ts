import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import windowsIana from 'windows-iana';
import { isIanaZone } from '../../domain/zones.js';
import { quoted } from '../../domain/printable.js';

/**
 * DTSTART and DTEND of a feed's VEVENT as exact UTC instants. Reconciliation compares instants,
 * so a time read in the wrong zone is a false "time drift": ical.js alone makes every TZID it
 * has no VTIMEZONE for floating, and `toJSDate()` then uses the host's zone (SOURCES.md, "Silent
 * wrong results"). Zones are looked up in this order:
 *  1. the file's own VTIMEZONE with that TZID (Exchange's "W. Europe Standard Time", a CDO
 *     "GMT +0100 (Standard) / GMT +0200 (Daylight)", a year-0001 eM Client zone);
 *  2. an IANA name, legacy aliases included (US/Central, Europe/Kiev);
 *  3. a Windows zone name (CLDR windowsZones, packaged by windows-iana);
 *  4. an Outlook display name "(UTC-05:00) Eastern Time (US & Canada)": its fixed offset, with a
 *     warning (daylight saving time cannot be known from it);
 *  5. otherwise UTC, with a warning.
 * A floating time is UTC and an all-day DATE is midnight UTC (assumptions.ts: the feed is in UTC).
 */

export interface ResolvedTime {
  /** UTC ISO instant with milliseconds. */
  iso: string;
  allDay: boolean;
  /** Set when the zone was guessed: the instant may be off. */
  note?: string;
}

/** A TZID as written in a VTIMEZONE or a parameter: trimmed (" 1" in test_with_int_tzid.ics). */
export function zoneKey(tzid: string): string {
  return tzid.trim();
}

/** The VTIMEZONEs of one feed, by zoneKey. */
export type FeedZones = ReadonlyMap<string, ICAL.Timezone>;

const DISPLAY_OFFSET = /^\((?:UTC|GMT)\s*([+-])(\d{1,2}):?(\d{2})\)/i;

function ianaFor(tzid: string): string | undefined {
  if (isIanaZone(tzid)) return tzid;
  return windowsIana.findIana(tzid).find((zone) => isIanaZone(zone));
}

/** Reads DTSTART/DTEND-like `prop`. Throws when its value cannot be read at all. */
export function resolveTime(prop: ICAL.Property, zones: FeedZones): ResolvedTime {
  const value = prop.getFirstValue();
  if (!(value instanceof ICAL.Time)) throw new Error(`${prop.name.toUpperCase()} has no date or time`);
  const fields = { year: value.year, month: value.month, day: value.day, hour: value.hour, minute: value.minute, second: value.second };
  if (value.isDate) return { iso: utcOf({ ...fields, hour: 0, minute: 0, second: 0 }), allDay: true };
  // A `Z` value is UTC whatever its TZID says (RFC 5545 forbids the pair; Lotus writes it).
  if (value.zone === ICAL.Timezone.utcTimezone) return { iso: utcOf(fields), allDay: false };
  const param = prop.getParameter('tzid');
  const raw = Array.isArray(param) ? param[0] : param;
  if (raw === undefined) return { iso: utcOf(fields), allDay: false };
  const tzid = zoneKey(raw);
  if (tzid === '') return { iso: utcOf(fields), allDay: false, note: 'an empty TZID: read as UTC' };

  const own = zones.get(tzid);
  if (own) {
    try {
      return { iso: new Date(ICAL.Time.fromData({ ...fields, isDate: false }, own).toUnixTime() * 1000).toISOString(), allDay: false };
    } catch {
      // An unusable VTIMEZONE: try the name as below.
    }
  }
  const iana = ianaFor(tzid);
  if (iana) {
    const local = DateTime.fromObject(fields, { zone: iana });
    if (local.isValid) return { iso: local.toUTC().toISO()!, allDay: false };
  }
  const offset = DISPLAY_OFFSET.exec(tzid);
  if (offset) {
    const minutes = (Number(offset[2]) * 60 + Number(offset[3])) * (offset[1] === '-' ? -1 : 1);
    const iso = new Date(Date.parse(utcOf(fields)) - minutes * 60_000).toISOString();
    return { iso, allDay: false, note: `time zone ${quoted(tzid)} is not known: read at its fixed offset, without daylight saving time` };
  }
  return { iso: utcOf(fields), allDay: false, note: `time zone ${quoted(tzid)} is not known and has no VTIMEZONE: read as UTC` };
}

function utcOf(f: { year: number; month: number; day: number; hour: number; minute: number; second: number }): string {
  return new Date(Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second)).toISOString();
}
