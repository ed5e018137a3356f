import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { DataError } from '../domain/errors.js';
import type { FeedMeeting } from '../domain/meeting.js';
import { scrub } from '../domain/redact.js';
import {
  FEED_MATCH_FIELDS,
  FEED_SKIPS_CANCELLED,
  FEED_SKIPS_OVERRIDES_WITH_MASTER,
  findMeetingId,
  findMeetingNumber,
} from './assumptions.js';
import { safeCause } from './http.js';

/**
 * A user's meeting feed (`GET <icsPath>`) as FeedMeeting[]. The feed's format is ASSUMED (see
 * assumptions.ts); the parser takes any RFC 5545 VCALENDAR as real clients write it: CRLF or LF,
 * folds with space or TAB, a UTF-8 BOM, trailing text after END:VCALENDAR.
 */

export interface FeedParseOptions {
  /** Whose feed it is, for the error message (an email). @default 'a user' */
  owner?: string;
}

/** Parses ICS text. Throws DataError (one line, no token) when it is not a valid VCALENDAR. */
export function parseFeed(text: string, options: FeedParseOptions = {}): FeedMeeting[] {
  const calendar = parseCalendar(text, options.owner);
  const zones = localZones(calendar);
  const events = calendar.getAllSubcomponents('vevent');
  const masters = new Set(events.filter((e) => !e.hasProperty('recurrence-id')).map((e) => stringOf(e, 'uid')));
  const meetings: FeedMeeting[] = [];
  for (const event of events) {
    const uid = stringOf(event, 'uid');
    if (FEED_SKIPS_OVERRIDES_WITH_MASTER && event.hasProperty('recurrence-id') && masters.has(uid)) continue;
    if (FEED_SKIPS_CANCELLED && stringOf(event, 'status').toUpperCase() === 'CANCELLED') continue;
    meetings.push(toFeedMeeting(event, zones));
  }
  return meetings;
}

function parseCalendar(text: string, owner: string | undefined): ICAL.Component {
  const fail = (reason: string, cause?: unknown): DataError =>
    new DataError(
      `the ICS feed of ${owner ?? 'a user'} is not valid iCalendar: ${oneLine(reason)}; ` +
        `check the user's icsPath and that baseUrl points at the Web Meeting instance`,
      cause === undefined ? undefined : { cause: safeCause(cause) },
    );
  // ical.js fails on a BOM (TypeError in the parser) and on anything after END:VCALENDAR.
  const body = stripTrailer(text.replace(/^\uFEFF/, '').trimStart());
  if (!/^BEGIN:VCALENDAR\r?$/im.test(body.split('\n', 1)[0] ?? '')) {
    throw fail(body.trim() === '' ? 'the feed is empty' : 'it does not start with BEGIN:VCALENDAR');
  }
  let jcal: unknown;
  try {
    jcal = ICAL.parse(body);
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err), err);
  }
  // ICAL.parse gives one jCal, or an array of them when the text holds several components.
  const first: unknown = Array.isArray(jcal) && Array.isArray(jcal[0]) ? jcal[0] : jcal;
  if (!Array.isArray(first) || first[0] !== 'vcalendar') throw fail('no VCALENDAR component found');
  try {
    return new ICAL.Component(first);
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err), err);
  }
}

/** Drops whatever follows the last END:VCALENDAR line (Podio appends properties there). */
function stripTrailer(text: string): string {
  const match = /^END:VCALENDAR[ \t]*(\r?\n|$)/gim;
  let end = -1;
  for (let m = match.exec(text); m !== null; m = match.exec(text)) end = m.index + m[0].length;
  return end === -1 ? text : text.slice(0, end);
}

/** The VTIMEZONEs of this file only, by TZID: registering them globally would mix feeds. */
function localZones(calendar: ICAL.Component): Map<string, ICAL.Timezone> {
  const zones = new Map<string, ICAL.Timezone>();
  for (const vtimezone of calendar.getAllSubcomponents('vtimezone')) {
    const tzid = stringOf(vtimezone, 'tzid');
    if (tzid === '') continue;
    try {
      zones.set(tzid, new ICAL.Timezone(vtimezone));
    } catch {
      // An unreadable VTIMEZONE leaves its times to the IANA lookup or UTC (utcIso).
    }
  }
  return zones;
}

function toFeedMeeting(event: ICAL.Component, zones: Map<string, ICAL.Timezone>): FeedMeeting {
  const fields = {
    uid: stringOf(event, 'uid'),
    url: stringOf(event, 'url'),
    description: stringOf(event, 'description'),
    location: stringOf(event, 'location'),
  };
  const texts = FEED_MATCH_FIELDS.map((name) => fields[name]);
  const meetingId = firstHit(texts, findMeetingId);
  const meetingNumber = firstHit(texts, findMeetingNumber);
  const start = utcIso(event.getFirstProperty('dtstart'), zones);
  const end = utcIso(event.getFirstProperty('dtend'), zones) ?? endFromDuration(event, start);
  const rrule = event.getFirstPropertyValue('rrule');
  return {
    uid: fields.uid,
    summary: stringOf(event, 'summary'),
    description: fields.description,
    ...(meetingId === undefined ? {} : { meetingId }),
    ...(meetingNumber === undefined ? {} : { meetingNumber }),
    ...(start === undefined ? {} : { start }),
    ...(end === undefined ? {} : { end }),
    ...(fields.url === '' ? {} : { url: fields.url }),
    ...(rrule instanceof ICAL.Recur ? { rrule: rrule.toString() } : {}),
  };
}

function firstHit(texts: string[], find: (text: string) => string | undefined): string | undefined {
  for (const text of texts) {
    const hit = find(text);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/**
 * A DTSTART/DTEND as a UTC ISO instant. A TZID is resolved with the file's own VTIMEZONE, else
 * as an IANA name (ical.js alone would make it floating and let the host's zone decide), else
 * taken as UTC; a floating time is taken as UTC (the feed is ASSUMED to be in UTC), and an
 * all-day DATE becomes midnight UTC of that day.
 */
function utcIso(prop: ICAL.Property | null, zones: Map<string, ICAL.Timezone>): string | undefined {
  const value = prop?.getFirstValue();
  if (!prop || !(value instanceof ICAL.Time)) return undefined;
  const fields = { year: value.year, month: value.month, day: value.day, hour: value.hour, minute: value.minute, second: value.second };
  const tzidParam = prop.getParameter('tzid');
  const tzid = (Array.isArray(tzidParam) ? tzidParam[0] : tzidParam)?.trim();
  if (!value.isDate && tzid) {
    const zone = zones.get(tzid) ?? zones.get(` ${tzid}`);
    if (zone) {
      try {
        return new Date(ICAL.Time.fromData({ ...fields, isDate: false }, zone).toUnixTime() * 1000).toISOString();
      } catch {
        // Fall through to the IANA name or UTC.
      }
    }
    const local = DateTime.fromObject(fields, { zone: tzid });
    if (local.isValid) return local.toUTC().toISO() ?? undefined;
  }
  return isoFromFields(value.isDate ? { ...fields, hour: 0, minute: 0, second: 0 } : fields);
}

function isoFromFields(f: { year: number; month: number; day: number; hour: number; minute: number; second: number }): string {
  return new Date(Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second)).toISOString();
}

function endFromDuration(event: ICAL.Component, start: string | undefined): string | undefined {
  const duration = event.getFirstPropertyValue('duration');
  if (start === undefined || !(duration instanceof ICAL.Duration)) return undefined;
  return new Date(Date.parse(start) + duration.toSeconds() * 1000).toISOString();
}

function stringOf(component: ICAL.Component, name: string): string {
  const value = component.getFirstPropertyValue(name);
  return typeof value === 'string' ? value : '';
}

function oneLine(text: string): string {
  return scrub(text.split(/\r?\n/, 1)[0] ?? '').slice(0, 200);
}
