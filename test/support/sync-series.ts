import type { MemorySource } from '../../src/calendars/memory.js';
import { NOW } from './engine-harness.js';
import { titleOf, wantsMeeting, type ModelEvent, type Rule } from './sync-model.js';

/**
 * Series and occurrences in the state machine's model (issue 15): the rule a series carries in
 * the calendar and the one its platform meeting must carry, both written here by construction,
 * and the occurrences the organizer moves or cancels (Google's exceptions: events of their own,
 * `<series id>_<original start>`, naming their series and original start).
 */

const DAY_MS = 86_400_000;
const QUARTER_MS = 15 * 60_000;
/** Berlin goes to summer time at 01:00 UTC on 28 March 2027; the sync window ends before it goes back. */
const BERLIN_SUMMER_TIME = Date.parse('2027-03-28T01:00:00.000Z');

/** An occurrence the organizer moved (start and end) or cancelled. */
export interface ModelOccurrence {
  calendarId: string;
  seriesId: string;
  eventId: string;
  originalStart: string;
  start?: string;
  end?: string;
  cancelled: boolean;
  /** Edited (or retitled with its series) since the last cycle: the next read has it. */
  pending: boolean;
  /**
   * Last read while its series had no meeting (nor one given in that read, nor a creation under
   * way), or its series lost its meeting since: meetsync then notes it nowhere, or as "only one occurrence is tagged", and does not
   * read it again once the series gets its meeting (a known defect: the engine cannot list a
   * series' exceptions). Status may or may not name it; the invariants accept either.
   */
  unseen: boolean;
}

function compact(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function recurrenceOf(rule: Rule): string[] {
  const end = 'count' in rule.end ? `COUNT=${rule.end.count}` : `UNTIL=${compact(untilOf(rule.end.untilDay))}`;
  return [`RRULE:FREQ=${rule.freq};${end}`];
}

function untilOf(untilDay: number): string {
  return new Date(NOW.getTime() + untilDay * DAY_MS).toISOString();
}

/** The `recurring` object the platform's meeting of a series with `rule` holds (assumption 4). */
export function platformRecurring(rule: Rule): Record<string, unknown> {
  const frequency = { frequencyType: rule.freq.toLowerCase(), frequency: 1 };
  return 'count' in rule.end ? { ...frequency, endsType: 'after', endsAfter: rule.end.count } : { ...frequency, endsType: 'on', endsOn: untilOf(rule.end.untilDay) };
}

/** The start (UTC) of the nth occurrence after the first, at the series' wall-clock time in Berlin. */
function nthStart(start: string, rule: Rule, nth: number): string {
  const first = Date.parse(start);
  let at = first + nth * (rule.freq === 'DAILY' ? 1 : 7) * DAY_MS;
  if (first < BERLIN_SUMMER_TIME && at >= BERLIN_SUMMER_TIME) at -= 3_600_000;
  return new Date(at).toISOString();
}

/**
 * The organizer moves the nth occurrence of `series` `shift` quarters later, or cancels it
 * (shift null), in the calendar and in `occurrences`. An occurrence cancelled is not brought back.
 */
export function editOccurrence(source: MemorySource, series: ModelEvent, occurrences: ModelOccurrence[], nth: number, shift: number | null): void {
  const originalStart = nthStart(series.start, series.rule!, nth);
  const eventId = `${series.eventId}_${compact(originalStart)}`;
  let o = occurrences.find((x) => x.calendarId === series.calendarId && x.eventId === eventId);
  if (o?.cancelled) return;
  if (!o) {
    o = { calendarId: series.calendarId, seriesId: series.eventId, eventId, originalStart, cancelled: false, pending: false, unseen: false };
    occurrences.push(o);
  }
  o.pending = true;
  if (shift === null) {
    o.cancelled = true;
    delete o.start;
    delete o.end;
    if (source.peek(o.calendarId, eventId)) source.remove(o.calendarId, eventId);
    // An occurrence cancelled untouched is a bare tombstone naming its series (Google's cancelled instance).
    else source.put({ calendarId: o.calendarId, eventId, isOrganizerCopy: false, status: 'cancelled', kind: 'occurrence', seriesId: series.eventId, originalStart, title: '', description: '', location: '', categories: [], allDay: false });
    return;
  }
  const start = Date.parse(originalStart) + shift * QUARTER_MS;
  o.start = new Date(start).toISOString();
  o.end = new Date(start + Date.parse(series.end) - Date.parse(series.start)).toISOString();
  if (source.peek(o.calendarId, eventId)) {
    source.patch(o.calendarId, eventId, { start: o.start, end: o.end });
    return;
  }
  // An exception starts as a copy of its series (title, description with the join block, stamp excepted).
  const master = source.peek(series.calendarId, series.eventId)!;
  source.put({
    calendarId: o.calendarId,
    eventId,
    organizerEmail: master.organizerEmail!,
    isOrganizerCopy: true,
    status: 'confirmed',
    kind: 'occurrence',
    seriesId: series.eventId,
    originalStart,
    title: master.title,
    description: master.description,
    location: master.location,
    categories: [],
    start: o.start,
    end: o.end,
    timeZone: 'Europe/Berlin',
    allDay: false,
  });
}

/** A series' title changed: its moved occurrences follow (they override only their times). */
export function retitleOccurrences(source: MemorySource, series: ModelEvent, occurrences: readonly ModelOccurrence[]): void {
  for (const o of occurrences) {
    if (o.seriesId !== series.eventId || o.calendarId !== series.calendarId || o.cancelled) continue;
    source.patch(o.calendarId, o.eventId, { title: titleOf(series.base, series.tag) });
    o.pending = true;
  }
}

/** A series deleted: its moved occurrences go with it (cancelled tombstones, as the provider reports them). */
export function deleteOccurrences(source: MemorySource, series: ModelEvent, occurrences: readonly ModelOccurrence[]): void {
  for (const o of occurrences) {
    if (o.seriesId !== series.eventId || o.calendarId !== series.calendarId || o.cancelled) continue;
    o.cancelled = true;
    delete o.start;
    delete o.end;
    source.remove(o.calendarId, o.eventId);
  }
}

/**
 * What a cycle's read tells meetsync of the occurrences edited since the last one (or of all, on
 * a `full` read): noted where their series wants a meeting and has one (`hasMeeting`, or a
 * creation under way) or gets it in that read (the series `touched` since the last cycle, its
 * organizer `served`: known to meetsync as the cycle begins; one provisioned in that very cycle
 * may be noted or not).
 */
export function judgeOccurrences(
  occurrences: readonly ModelOccurrence[],
  events: readonly ModelEvent[],
  full: boolean,
  touched: ReadonlySet<string>,
  hasMeeting: (series: ModelEvent) => boolean,
  served: (series: ModelEvent) => boolean,
): void {
  for (const o of occurrences) {
    const series = events.find((e) => e.calendarId === o.calendarId && e.eventId === o.seriesId)!;
    if (!o.pending && !full) {
      // A series read without its occurrence that loses its meeting (untagged): the occurrence's
      // note goes with the meeting, and tagged again the series is read without it (seed 1974686467).
      if (touched.has(series.eventId) && !wantsMeeting(series)) o.unseen = true;
      continue;
    }
    // A series given its meeting in this read needs its organizer known as the cycle begins: one
    // provisioned before a lost database is found again only through IT (found by seed 187345848).
    o.unseen = !(wantsMeeting(series) && ((served(series) && (full || touched.has(series.eventId))) || hasMeeting(series)));
    o.pending = false;
  }
}
