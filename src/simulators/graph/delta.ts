import { randomBytes } from 'node:crypto';
import { badRequest, syncStateNotFound } from './errors.js';
import { itemKeyOf, refOfItemKey } from './ids.js';
import { calendarView, defaultCalendar, type Mailbox, type StoredEvent } from './model.js';
import { presentEvent, removed, stripped, type PresentOptions } from './present.js';
import { isOccurrenceDate } from './recurrence.js';
import type { GraphStore } from './store.js';
import { parseQueryInstant } from './timezones.js';
import type { SimRequest } from '../kit/server.js';

/**
 * `GET /users/{id}/calendarView/delta` (the default calendar: an item moved to another calendar or
 * to Deleted Items leaves it as `@removed`), from event-delta.md (v1.0 and beta),
 * delta-query-events.md and delta-query-overview.md:
 * - the first request names the window (startDateTime, endDateTime); pages of at most
 *   `Prefer: odata.maxpagesize` items carry `@odata.nextLink` ($skiptoken) until the last, which
 *   carries `@odata.deltaLink` ($deltatoken). "These tokens are state tokens which encode the
 *   startDateTime and endDateTime parameters"; they are opaque, and a change of window is a new round;
 * - a later round returns what changed since: created and updated items in full, and
 *   `@removed: {reason: 'deleted'}` for items deleted in the window and for "Events that are
 *   outside the date range and that have been added, deleted, or updated since the previous
 *   delta call";
 * - $select, $expand, $filter, $orderby and $search are not supported (the pages do not give the
 *   error body, so the simulator's 400 names the parameter);
 * - an expired token answers 410 syncStateNotFound with a Location of the initial query.
 * A round is cut from the state when it started, so a change made while a client pages shows up
 * in its next round. Faults: "stripped" rounds send occurrences with only id, type, start, end and
 * seriesMasterId (what delta on events sends, beta event-delta.md); "replayed" rounds send items
 * twice ("Your application must be prepared for replays", delta-query-overview.md).
 */

/** restOnly: only the REST id changed (the item moved), which immutable ids do not show. */
type Entry = { kind: 'item'; itemKey: string; restOnly?: boolean } | { kind: 'removed'; itemKey: string; idVersion: number; restOnly?: boolean };

interface Window {
  mailbox: Mailbox;
  userSegment: string;
  fromMs: number;
  toMs: number;
  generation: number;
}

interface DeltaState extends Window {
  snapshot: Map<string, { version: string; idVersion: number }>;
  seq: number;
  previous: Entry[];
}

interface Page extends Window {
  entries: Entry[];
  offset: number;
  strip: 'none' | 'occurrences' | 'all';
  final: DeltaState;
}

export interface DeltaFaults {
  strip: number;
  stripAll: boolean;
  replayWithin: number;
  replayNext: number;
}

const UNSUPPORTED = ['$select', '$expand', '$filter', '$orderby', '$search'];

export class DeltaService {
  private readonly deltaTokens = new Map<string, DeltaState>();
  private readonly skipTokens = new Map<string, Page>();
  private readonly faults = new Map<Mailbox, DeltaFaults>();

  constructor(
    private readonly store: GraphStore,
    private readonly graphBase: () => string,
    private readonly defaultPageSize: number,
  ) {}

  faultsOf(mailbox: Mailbox): DeltaFaults {
    let faults = this.faults.get(mailbox);
    if (!faults) this.faults.set(mailbox, (faults = { strip: 0, stripAll: false, replayWithin: 0, replayNext: 0 }));
    return faults;
  }

  handle(req: SimRequest, mailbox: Mailbox, userSegment: string, pageSize: number | undefined, options: PresentOptions): Record<string, unknown> {
    for (const name of UNSUPPORTED) {
      if ([...req.query.keys()].some((k) => k.toLowerCase() === name)) {
        throw badRequest(`The query parameter '${name}' is not supported by delta on calendarView (event-delta.md, OData query parameters).`);
      }
    }
    const skip = queryParam(req.query, '$skiptoken');
    const delta = queryParam(req.query, '$deltatoken');
    let page: Page;
    if (skip !== null) {
      const found = this.skipTokens.get(skip);
      if (!found || found.mailbox !== mailbox || found.generation !== mailbox.deltaGeneration) throw this.gone(found, userSegment);
      page = found;
    } else if (delta !== null) {
      const state = this.deltaTokens.get(delta);
      if (!state || state.mailbox !== mailbox || state.generation !== mailbox.deltaGeneration) throw this.gone(state, userSegment);
      page = this.startRound(state, state);
    } else {
      const fromMs = parseQueryInstant(queryParam(req.query, 'startdatetime'));
      const toMs = parseQueryInstant(queryParam(req.query, 'enddatetime'));
      if (fromMs === undefined || toMs === undefined) {
        throw badRequest('This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.', 'ErrorInvalidParameter');
      }
      if (toMs <= fromMs) throw badRequest('The parameter EndDateTime must be after StartDateTime.', 'ErrorInvalidParameter');
      page = this.startRound({ mailbox, userSegment, fromMs, toMs, generation: mailbox.deltaGeneration }, undefined);
    }
    return this.servePage(page, pageSize ?? this.defaultPageSize, options);
  }

  private gone(known: Window | undefined, userSegment: string) {
    const base = `${this.graphBase()}/users/${userSegment}/calendarView/delta`;
    if (!known) return syncStateNotFound(base);
    const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
    return syncStateNotFound(`${base}?startDateTime=${iso(known.fromMs)}&endDateTime=${iso(known.toMs)}`);
  }

  /** Cuts a round: everything in the window (first round) or what changed since `since`. */
  private startRound(window: Window, since: DeltaState | undefined): Page {
    const { mailbox } = window;
    const view = calendarView(mailbox, window.fromMs, window.toMs);
    const snapshot = new Map(view.map((v) => [itemKeyOf(v.ref), { version: v.version, idVersion: v.event.idVersion }]));
    let entries: Entry[];
    if (!since) {
      entries = view.map((v) => ({ kind: 'item', itemKey: itemKeyOf(v.ref) }));
    } else {
      entries = [];
      for (const [itemKey, now] of snapshot) {
        const before = since.snapshot.get(itemKey);
        if (before?.version === now.version && before.idVersion === now.idVersion) continue;
        const moved = before !== undefined && before.idVersion !== now.idVersion;
        entries.push({ kind: 'item', itemKey, ...(moved && before.version === now.version ? { restOnly: true } : {}) });
        if (moved) entries.push({ kind: 'removed', itemKey, idVersion: before.idVersion, restOnly: true });
      }
      for (const [itemKey, before] of since.snapshot) {
        if (!snapshot.has(itemKey)) entries.push({ kind: 'removed', itemKey, idVersion: before.idVersion });
      }
      for (const [itemKey, change] of mailbox.touched) {
        if (change.seq > since.seq && !snapshot.has(itemKey) && !since.snapshot.has(itemKey)) {
          entries.push({ kind: 'removed', itemKey, idVersion: change.idVersion });
        }
      }
    }
    const faults = this.faultsOf(mailbox);
    const previous = entries;
    if (since && faults.replayNext > 0) {
      faults.replayNext -= 1;
      entries = [...since.previous, ...entries];
    }
    if (faults.replayWithin > 0) {
      faults.replayWithin -= 1;
      entries = [...entries, ...entries.filter((e) => e.kind === 'item')];
    }
    let strip: Page['strip'] = 'none';
    if (faults.strip > 0) {
      faults.strip -= 1;
      strip = faults.stripAll ? 'all' : 'occurrences';
    }
    const final: DeltaState = { ...window, snapshot, seq: this.store.seq, previous };
    return { ...window, entries, offset: 0, strip, final };
  }

  private servePage(page: Page, pageSize: number, options: PresentOptions): Record<string, unknown> {
    const slice = page.entries.slice(page.offset, page.offset + pageSize);
    const value = slice.flatMap((entry) => this.present(page, entry, options));
    const more = page.offset + pageSize < page.entries.length;
    const token = randomBytes(24).toString('base64url');
    const link = `${this.graphBase()}/users/${page.userSegment}/calendarView/delta`;
    if (more) this.skipTokens.set(token, { ...page, offset: page.offset + pageSize });
    else this.deltaTokens.set(token, page.final);
    return {
      '@odata.context': `${this.graphBase()}/$metadata#Collection(event)`,
      ...(more ? { '@odata.nextLink': `${link}?$skiptoken=${token}` } : { '@odata.deltaLink': `${link}?$deltatoken=${token}` }),
      value,
    };
  }

  private present(page: Page, entry: Entry, options: PresentOptions): Array<Record<string, unknown>> {
    const ref = refOfItemKey(entry.itemKey);
    if (entry.restOnly && options.immutableIds) return [];
    if (entry.kind === 'removed') return [removed(ref, entry.idVersion, options.immutableIds)];
    const event = page.mailbox.events.get(ref.key);
    if (!event || event.folder !== defaultCalendar(page.mailbox).id || !exists(event, ref.occurrence)) {
      // Gone since the round started: a page sent now says so.
      const idVersion = page.mailbox.touched.get(entry.itemKey)?.idVersion ?? 0;
      return [removed(ref, idVersion, options.immutableIds)];
    }
    const full = presentEvent(event, ref.occurrence, options);
    const strip = page.strip === 'all' || (page.strip === 'occurrences' && full.type !== 'singleInstance');
    return [strip ? stripped(full) : { '@odata.type': '#microsoft.graph.event', ...full }];
  }
}

function exists(event: StoredEvent, occurrence: string | undefined): boolean {
  if (!occurrence) return true;
  if (!event.recurrence || event.cancelled.has(occurrence)) return false;
  return event.exceptions.has(occurrence) || isOccurrenceDate(event.recurrence, occurrence);
}

/** OData names query options case-insensitively ($skipToken in delta-query-overview.md, $skiptoken in samples). */
export function queryParam(query: URLSearchParams, name: string): string | null {
  for (const [key, value] of query) if (key.toLowerCase() === name) return value;
  return null;
}
