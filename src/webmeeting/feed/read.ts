import ICAL from 'ical.js';
import type { FeedMeeting } from '../../domain/meeting.js';
import {
  FEED_MATCH_FIELDS,
  FEED_SKIPS_CANCELLED,
  FEED_SKIPS_OVERRIDES_WITH_MASTER,
  findMeetingId,
  findMeetingNumber,
} from '../assumptions.js';
import { parseBlock, propertyName, refusalOf } from './block.js';
import { splitCalendar, type FeedWarning, type IcsBlock, type IcsSplit } from './text.js';
import { resolveTime, zoneKey, type FeedZones } from './time.js';
import { boundedDuration, seriesLastEnd } from './series.js';
import { oneLine, quoted } from '../../domain/printable.js';

export type { FeedWarning, FeedWarningKind } from './text.js';
export { NotIcsError } from './text.js';

/**
 * THE reader of an organizer's meeting feed (`icsPath`): it reads what it can and says what it
 * could not, one bad VEVENT or property being a warning (text.ts FeedWarning), never the whole
 * feed. What a warning means is its caller's to decide: the reconciliation reports them
 * (reconcile/compare.ts), while the sync's duplicate guard refuses a feed it cannot read fully
 * (strict.ts: creating a meeting again on a partial read could make a duplicate). A skipped
 * VEVENT's warning names the meeting its raw text mentions, so that the comparison does not
 * take that meeting for missing.
 */

/** One meeting of the feed as the comparison sees it. */
export interface FeedItem extends FeedMeeting {
  allDay: boolean;
  /**
   * When the meeting is over for good: the end of a single meeting or of a series' last
   * occurrence (its overrides with the same UID included). Null when it never ends or that
   * cannot be told.
   */
  lastEnd: string | null;
  /** For an override listed without its master: the occurrence it replaces (UTC). */
  occurrenceOf?: string;
  /** meetsync markers (`meetsync:<uuid>`) found in the description (the agenda). */
  markers: string[];
  /** Properties that could not be read: not compared (a drift there would be a guess). */
  unreadable: string[];
  /** Physical line of BEGIN:VEVENT. */
  line: number;
}

export interface FeedRead {
  items: FeedItem[];
  warnings: FeedWarning[];
  /** False when the text ended before END:VCALENDAR. */
  complete: boolean;
  /** VEVENTs found in the text, read or not. */
  vevents: number;
}

/** The marker meetsync puts in the agenda (sync/execute.ts agendaFor). */
const MARKER = /meetsync:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export function markersIn(text: string): string[] {
  return [...new Set(text.match(MARKER) ?? [])];
}

/** Reads a feed. Throws NotIcsError when the text is not iCalendar at all; anything less is a warning. */
export function readFeedText(text: string): FeedRead {
  const split = splitCalendar(text);
  const warnings = [...split.warnings, ...outsideWarnings(split)];
  const nameless: number[] = [];
  const zones = readZones(split.timezones, warnings, nameless);
  const parsed: Array<{ component: ICAL.Component; block: IcsBlock; dropped: string[] }> = [];
  for (const block of split.events) {
    const result = parseBlock(block);
    const uid = result.component ? text1(result.component, 'uid') : '';
    warnings.push(...result.warnings.map((w) => (uid ? { ...w, uid } : w)));
    if (result.component) parsed.push({ component: result.component, block, dropped: result.dropped });
  }

  const masters = new Map<string, ICAL.Component>();
  const overrides = new Map<string, ICAL.Component[]>();
  for (const { component } of parsed) {
    const uid = text1(component, 'uid');
    if (component.hasProperty('recurrence-id')) overrides.set(uid, [...(overrides.get(uid) ?? []), component]);
    else if (!masters.has(uid)) masters.set(uid, component);
  }

  const items: FeedItem[] = [];
  const listed: ICAL.Component[] = [];
  for (const { component, block, dropped } of parsed) {
    const uid = text1(component, 'uid');
    const isOverride = component.hasProperty('recurrence-id');
    if (FEED_SKIPS_OVERRIDES_WITH_MASTER && isOverride && masters.has(uid)) continue;
    if (FEED_SKIPS_CANCELLED && text1(component, 'status').toUpperCase() === 'CANCELLED') continue;
    listed.push(component);
    const itemWarnings: FeedWarning[] = [];
    const item = toItem(component, block.at[0]!, zones, itemWarnings);
    item.unreadable.push(...dropped.filter((name) => !item.unreadable.includes(name)));
    if (isOverride) {
      const of = safely(() => resolveTime(component.getFirstProperty('recurrence-id')!, zones).iso, 'RECURRENCE-ID', item, itemWarnings, 'series');
      if (of) item.occurrenceOf = of;
    } else {
      // Only overrides with this UID belong to this series (ical.js would take every sibling's).
      item.lastEnd = seriesLastEnd(component, overrides.get(uid) ?? [], item, (m) => itemWarnings.push({ kind: 'series', line: item.line, lost: false, message: m }));
    }
    warnings.push(...itemWarnings.map((w) => (uid ? { ...w, uid } : w)));
    items.push(item);
  }
  const unnamed = namelessZoneWarning(nameless, zones, listed);
  if (unnamed) warnings.push(unnamed);
  return { items, warnings, complete: split.complete, vevents: split.events.length };
}

/**
 * A VTIMEZONE without TZID (RFC 5545 3.6.5 requires one) names no zone, so no time is read in
 * it. But ical.js, looking through the VTIMEZONEs for the TZID of a listed meeting's DTSTART or
 * DTEND that the feed does not define, threw on it (a TypeError in Component.getTimeZoneByID),
 * and the sync refused such a feed: said here (kind `outside`) only in that case, so that the
 * caller can still refuse it.
 */
function namelessZoneWarning(nameless: readonly number[], zones: FeedZones, listed: readonly ICAL.Component[]): FeedWarning | undefined {
  if (nameless.length === 0) return undefined;
  const undefinedZone = listed.some((event) =>
    ['dtstart', 'dtend'].some((name) => {
      const param = event.getFirstProperty(name)?.getParameter('tzid');
      const tzid = Array.isArray(param) ? param[0] : param;
      return typeof tzid === 'string' && zoneKey(tzid) !== '' && !zones.has(zoneKey(tzid));
    }),
  );
  return undefinedZone ? { kind: 'outside', line: nameless[0]!, lost: false, message: 'a VTIMEZONE without TZID; ignored' } : undefined;
}

/**
 * The lines outside every VEVENT and VTIMEZONE that ical.js refuses. They concern no meeting,
 * but ical.js refused a whole feed for one of them, so the caller is told (kind `outside`).
 */
function outsideWarnings(split: IcsSplit): FeedWarning[] {
  const warnings: FeedWarning[] = [];
  const check = (text: string, line: number, where: string) => {
    const detail = refusalOf(text);
    if (detail !== undefined) warnings.push({ kind: 'outside', line, lost: false, message: `${propertyName(text)} of ${where} could not be read (${detail}); ignored`, detail });
  };
  for (const { text, line } of split.properties) check(text, line, 'the calendar');
  for (const block of split.others) {
    block.lines.forEach((text, i) => {
      if (!/^(BEGIN|END):/i.test(text)) check(text, block.at[i]!, `a ${oneLine(block.name, 40)}`);
    });
  }
  return warnings;
}

/** The VTIMEZONEs of this feed only: registering them with ical.js globally would mix feeds. */
function readZones(blocks: readonly IcsBlock[], warnings: FeedWarning[], nameless: number[]): FeedZones {
  const zones = new Map<string, ICAL.Timezone>();
  for (const block of blocks) {
    const result = parseBlock(block);
    warnings.push(...result.warnings.map((w) => ({ ...w, lost: false })));
    const tzid = result.component ? zoneKey(text1(result.component, 'tzid')) : '';
    if (result.component && !result.component.hasProperty('tzid')) nameless.push(block.at[0]!);
    if (!result.component || tzid === '') continue;
    try {
      zones.set(tzid, new ICAL.Timezone(result.component));
    } catch (err) {
      warnings.push({ kind: 'zone', line: block.at[0]!, lost: false, message: `VTIMEZONE ${quoted(tzid)} could not be used (${oneLine(String(err), 120)}); times in it are read by name` });
    }
  }
  return zones;
}

function toItem(event: ICAL.Component, line: number, zones: FeedZones, warnings: FeedWarning[]): FeedItem {
  const fields = { uid: text1(event, 'uid'), url: text1(event, 'url'), description: text1(event, 'description'), location: text1(event, 'location') };
  const texts = FEED_MATCH_FIELDS.map((name) => fields[name]);
  const meetingId = firstHit(texts, findMeetingId);
  const meetingNumber = firstHit(texts, findMeetingNumber);
  const item: FeedItem = {
    uid: fields.uid,
    summary: text1(event, 'summary'),
    description: fields.description,
    ...(meetingId === undefined ? {} : { meetingId }),
    ...(meetingNumber === undefined ? {} : { meetingNumber }),
    ...(fields.url === '' ? {} : { url: fields.url }),
    allDay: false,
    lastEnd: null,
    markers: markersIn(fields.description),
    unreadable: [],
    line,
  };
  const start = timeOf(event, 'dtstart', zones, item, warnings);
  if (start) {
    item.start = start.iso;
    item.allDay = start.allDay;
  }
  const end = timeOf(event, 'dtend', zones, item, warnings);
  if (end) item.end = end.iso;
  else if (start && event.hasProperty('duration')) {
    const duration = safely(() => boundedDuration(event), 'DURATION', item, warnings);
    if (duration instanceof ICAL.Duration) item.end = new Date(Date.parse(start.iso) + duration.toSeconds() * 1000).toISOString();
  } else if (start && !event.hasProperty('dtend')) {
    // RFC 5545 3.6.1: without DTEND or DURATION a DATE lasts one day, a DATE-TIME ends at its start.
    item.end = start.allDay ? new Date(Date.parse(start.iso) + 86_400_000).toISOString() : start.iso;
  }
  if (event.hasProperty('rrule')) {
    const rule = safely(() => event.getFirstPropertyValue('rrule'), 'RRULE', item, warnings);
    if (rule instanceof ICAL.Recur) item.rrule = rule.toString();
  }
  return item;
}

function timeOf(event: ICAL.Component, name: string, zones: FeedZones, item: FeedItem, warnings: FeedWarning[]) {
  const prop = event.getFirstProperty(name);
  if (!prop) return undefined;
  const time = safely(() => resolveTime(prop, zones), name.toUpperCase(), item, warnings);
  if (time?.note) warnings.push({ kind: 'zone', line: item.line, lost: false, message: `${name.toUpperCase()}: ${time.note}` });
  return time;
}

/**
 * Runs a value read that ical.js may throw on (a DATE written without VALUE=DATE): a warning, and
 * the property is unreadable. `kind` is `series` for the RECURRENCE-ID of an override listed
 * without its master, which only tells the occurrence it replaces.
 */
function safely<T>(read: () => T, name: string, item: FeedItem, warnings: FeedWarning[], kind: 'unreadable' | 'series' = 'unreadable'): T | undefined {
  try {
    return read();
  } catch (err) {
    item.unreadable.push(name);
    const detail = oneLine(err instanceof Error ? err.message : String(err), 120);
    warnings.push({ kind, line: item.line, lost: false, message: `${name} could not be read (${detail})`, detail });
    return undefined;
  }
}

function firstHit(texts: string[], find: (text: string) => string | undefined): string | undefined {
  for (const text of texts) {
    const hit = find(text);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

function text1(component: ICAL.Component, name: string): string {
  try {
    const value = component.getFirstPropertyValue(name);
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}
