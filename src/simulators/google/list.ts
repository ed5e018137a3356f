import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { badRequest, fullSyncRequired, GoogleApiError, timeRangeEmpty } from './errors.js';
import { deriveInstance, present } from './event.js';
import type { CalendarState, GoogleStore, StoredEvent } from './store.js';
import { expand, seriesEndMs, toMillis } from './time.js';
import type { GoogleEvent } from './types.js';

/**
 * events.list, from its reference page (parameters in calendar.v3.json) and "Synchronize
 * resources efficiently" (guides/sync):
 * - pages: maxResults (default 250, never above 2500) and pageToken; "the nextSyncToken field is
 *   present only on the very last page";
 * - syncToken: only entries changed since, "All events deleted since the previous list request
 *   will always be in the result set"; it cannot be combined with iCalUID, orderBy,
 *   privateExtendedProperty, q, sharedExtendedProperty, timeMin, timeMax, updatedMin; an expired
 *   token is answered 410 fullSyncRequired;
 * - showDeleted: "Cancelled instances of recurring events (but not the underlying recurring
 *   event) will still be included if showDeleted and singleEvents are both False";
 * - orderBy=startTime needs singleEvents=true.
 * Pages are cut from a snapshot taken at the first page, and nextSyncToken points at that moment,
 * so a change made while a client pages shows up in its next incremental read.
 */

const FORBIDDEN_WITH_SYNC_TOKEN = [
  'iCalUID', 'orderBy', 'privateExtendedProperty', 'q', 'sharedExtendedProperty', 'timeMin', 'timeMax', 'updatedMin',
];
/** How far a series without end is expanded for singleEvents=true without timeMax (a sim limit). */
const OPEN_HORIZON_MS = 2 * 366 * 86_400_000;

interface PagedResult {
  calendarId: string;
  items: GoogleEvent[];
  nextSyncToken: string;
}

interface SyncTokenData {
  c: string;
  s: number;
  g: number;
}

export class EventLister {
  private readonly pages = new Map<string, { result: PagedResult; offset: number }>();

  constructor(
    private readonly store: GoogleStore,
    private readonly defaultPageSize: number,
  ) {}

  list(cal: CalendarState, query: URLSearchParams): Record<string, unknown> {
    const flag = (name: string) => query.get(name) === 'true';
    const syncToken = query.get('syncToken');
    if (syncToken !== null) {
      const clash = FORBIDDEN_WITH_SYNC_TOKEN.find((p) => query.has(p));
      if (clash) throw badRequest(`The syncToken parameter cannot be combined with ${clash}.`, clash, 'invalid');
    }
    const orderBy = query.get('orderBy');
    if (orderBy !== null && orderBy !== 'startTime' && orderBy !== 'updated') throw badRequest(`Invalid value for: orderBy`, 'orderBy');
    if (orderBy === 'startTime' && !flag('singleEvents')) {
      throw badRequest('The requested ordering is not available for the particular query.', 'orderBy', 'badRequest');
    }
    const pageSize = this.pageSize(query.get('maxResults'));
    const timeMin = parseBound(query.get('timeMin'), 'timeMin');
    const timeMax = parseBound(query.get('timeMax'), 'timeMax');
    if (timeMin !== undefined && timeMax !== undefined && timeMin >= timeMax) throw timeRangeEmpty();
    const zone = query.get('timeZone') ?? cal.timeZone;

    const pageToken = query.get('pageToken');
    let result: PagedResult;
    let offset = 0;
    if (pageToken !== null) {
      const saved = this.pages.get(pageToken);
      if (!saved || saved.result.calendarId !== cal.id) throw badRequest('Invalid page token value.', 'pageToken');
      ({ result, offset } = saved);
    } else {
      const items =
        syncToken !== null
          ? this.incremental(cal, syncToken, zone, flag('showDeleted'), flag('singleEvents'))
          : this.full(cal, query, zone, { timeMin, timeMax });
      result = { calendarId: cal.id, items, nextSyncToken: encodeToken({ c: cal.id.toLowerCase(), s: this.store.seq, g: cal.tokenGeneration }) };
    }
    const items = result.items.slice(offset, offset + pageSize);
    const more = offset + pageSize < result.items.length;
    let nextPageToken: string | undefined;
    if (more) {
      nextPageToken = randomBytes(18).toString('base64url');
      this.pages.set(nextPageToken, { result, offset: offset + pageSize });
    }
    return {
      kind: 'calendar#events',
      etag: `"p3${this.store.seq.toString(32).padStart(14, '0')}"`,
      summary: cal.summary,
      description: '',
      updated: cal.updated,
      timeZone: zone,
      accessRole: 'owner',
      defaultReminders: [{ method: 'popup', minutes: 10 }],
      ...(more ? { nextPageToken } : { nextSyncToken: result.nextSyncToken }),
      items,
    };
  }

  private pageSize(raw: string | null): number {
    if (raw === null) return this.defaultPageSize;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw badRequest(`Invalid value '${raw}'. Values must be within the range: [1, 2500]`, 'maxResults');
    return Math.min(n, 2500);
  }

  private incremental(cal: CalendarState, token: string, zone: string, showDeleted: boolean, single: boolean): GoogleEvent[] {
    const data = decodeToken(token);
    if (!data || data.c !== cal.id.toLowerCase() || data.g !== cal.tokenGeneration || data.s > this.store.seq) {
      throw new GoogleApiError(410, fullSyncRequired());
    }
    const out: GoogleEvent[] = [];
    for (const stored of this.store.changedSince(cal, data.s)) {
      const ev = stored.event;
      // Event.status: deleted events keep their details on the organizer's calendar, but
      // "incremental sync requests with showDeleted set to false will not return these details".
      const detail = showDeleted && isOrganizerCopy(cal, ev);
      if (single && ev.recurrence?.length) {
        for (const inst of this.instancesOf(cal, stored, -8.64e15, Date.now() + OPEN_HORIZON_MS)) {
          out.push(present(inst, cal.id, zone, detail));
        }
      } else {
        out.push(present(ev, cal.id, zone, detail));
      }
    }
    return out;
  }

  private full(cal: CalendarState, query: URLSearchParams, zone: string, window: { timeMin?: number; timeMax?: number }): GoogleEvent[] {
    const showDeleted = query.get('showDeleted') === 'true';
    const single = query.get('singleEvents') === 'true';
    const updatedMin = parseBound(query.get('updatedMin'), 'updatedMin');
    const from = window.timeMin ?? -8.64e15;
    const to = window.timeMax ?? 8.64e15;
    const candidates: GoogleEvent[] = [];
    for (const stored of cal.events.values()) {
      const ev = stored.event;
      if (single && ev.recurrence?.length) {
        candidates.push(...this.instancesOf(cal, stored, from, window.timeMax ?? Math.max(from, Date.now()) + OPEN_HORIZON_MS));
      } else if (!ev.recurrence?.length || (window.timeMin === undefined && window.timeMax === undefined) || overlaps(ev, cal.timeZone, from, to, true)) {
        candidates.push(ev);
      }
    }
    const items = candidates.filter((ev) => {
      if (updatedMin !== undefined && Date.parse(ev.updated ?? '') < updatedMin) return false;
      if (ev.status === 'cancelled' && !showDeleted && updatedMin === undefined) {
        const master = ev.recurringEventId ? cal.events.get(ev.recurringEventId)?.event : undefined;
        const instanceOfLiveSeries = !single && master !== undefined && master.status !== 'cancelled';
        if (!instanceOfLiveSeries) return false;
      }
      if (!ev.recurrence?.length && !overlaps(ev, cal.timeZone, from, to, false)) return false;
      return matchesFilters(ev, query);
    });
    const orderBy = query.get('orderBy');
    if (orderBy === 'startTime') items.sort((a, b) => startOf(a, cal.timeZone) - startOf(b, cal.timeZone));
    if (orderBy === 'updated') items.sort((a, b) => Date.parse(a.updated ?? '') - Date.parse(b.updated ?? ''));
    return items.map((ev) => present(ev, cal.id, zone, showDeleted && isOrganizerCopy(cal, ev)));
  }

  /**
   * singleEvents=true: a series becomes its instances - stored exceptions stand for themselves
   * (they are listed on their own), the rest are derived; a deleted series yields its instances
   * as cancelled ("only single instances of deleted events ... are returned").
   */
  private instancesOf(cal: CalendarState, master: StoredEvent, from: number, to: number): GoogleEvent[] {
    const out: GoogleEvent[] = [];
    for (const occ of expand(master.event, from, to).occurrences) {
      const inst = deriveInstance(master.event, occ, cal.id);
      if (cal.events.has(inst.id)) continue;
      out.push(inst);
    }
    return out;
  }
}

function isOrganizerCopy(cal: CalendarState, ev: GoogleEvent): boolean {
  return ev.organizer?.email?.toLowerCase() === cal.id.toLowerCase();
}

function startOf(ev: GoogleEvent, zone: string): number {
  return toMillis(ev.start ?? ev.originalStartTime, zone) ?? 0;
}

/**
 * timeMin: "Lower bound (exclusive) for an event's end time"; timeMax: "Upper bound (exclusive)
 * for an event's start time". A series overlaps when its first start is before timeMax and its
 * last end after timeMin; a cancelled exception is placed at its original start.
 */
function overlaps(ev: GoogleEvent, zone: string, from: number, to: number, series: boolean): boolean {
  const start = toMillis(ev.start ?? ev.originalStartTime, zone);
  if (start === undefined) return true;
  const end = series ? seriesEndMs(ev) : (toMillis(ev.end, zone) ?? start);
  return start < to && end > from;
}

function matchesFilters(ev: GoogleEvent, query: URLSearchParams): boolean {
  const iCalUID = query.get('iCalUID');
  if (iCalUID !== null && ev.iCalUID !== iCalUID) return false;
  for (const [param, bag] of [['privateExtendedProperty', 'private'], ['sharedExtendedProperty', 'shared']] as const) {
    for (const constraint of query.getAll(param)) {
      const eq = constraint.indexOf('=');
      const [name, value] = eq < 0 ? [constraint, ''] : [constraint.slice(0, eq), constraint.slice(eq + 1)];
      if (ev.extendedProperties?.[bag]?.[name] !== value) return false;
    }
  }
  const q = query.get('q')?.toLowerCase();
  if (q) {
    const haystack = [ev.summary, ev.description, ev.location, ev.organizer?.email, ev.organizer?.displayName,
      ...(ev.attendees ?? []).flatMap((a) => [a.email, a.displayName])].filter(Boolean).join('\n').toLowerCase();
    if (!q.split(/\s+/).every((term) => haystack.includes(term))) return false;
  }
  return true;
}

/** RFC 3339 "with mandatory time zone offset" (timeMin / timeMax docs). */
function parseBound(raw: string | null, name: string): number | undefined {
  if (raw === null) return undefined;
  const dt = /(Z|[+-]\d{2}:\d{2})$/i.test(raw) ? DateTime.fromISO(raw, { setZone: true }) : undefined;
  if (!dt?.isValid) throw badRequest(`Bad Request`, name, 'badRequest');
  return dt.toMillis();
}

/** Opaque to clients, like Google's ("CPDAlvWDx70CEPDAlvWDx70CGAU="). */
function encodeToken(data: SyncTokenData): string {
  return Buffer.from(JSON.stringify(data)).toString('base64');
}

function decodeToken(token: string): SyncTokenData | undefined {
  try {
    const data = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Partial<SyncTokenData>;
    return typeof data.c === 'string' && typeof data.s === 'number' && typeof data.g === 'number'
      ? { c: data.c, s: data.s, g: data.g }
      : undefined;
  } catch {
    return undefined;
  }
}
