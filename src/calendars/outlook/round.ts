import type { CalendarEvent } from '../../domain/event.js';
import { CalendarError, MalformedResponseError } from '../../domain/errors.js';
import type { Logger } from '../../log.js';
import { encodeCursor, planRound, roleOf } from './delta.js';
import { parseDeltaPage, tombstone, type GraphEvent } from './event.js';
import type { GraphTransport } from './graph.js';
import type { ChangeSet, ReadHints } from '../source.js';

/**
 * Reads one calendarView/delta round of a mailbox: follows `@odata.nextLink` pages to the
 * `@odata.deltaLink` (delta-query-events.md: "A @odata.deltaLink returned in a response signifies
 * that the current round of change tracking is complete"), then performs what outlook/delta.ts's
 * planRound decided: GETs, `@removed` confirmations and series masters.
 */

/** Times in UTC, ids that survive moves between folders (PROVIDERS.md; event-delta.md "Prefer"). */
export const PREFER = 'outlook.timezone="UTC", IdType="ImmutableId"';

/** Pages of one round before it is taken as a server that never ends it. */
const MAX_PAGES = 10_000;

/** An organizer's event as a round returned it, for the write-back after the read (fresh-copies.ts). */
export interface OutlookCopy {
  event: GraphEvent;
  /** Read with a GET that expanded our stamp; a delta item never carries it (outlook/delta.ts). */
  stampRead: boolean;
}

export interface RoundReader {
  source: string;
  /** The configured Graph origin: links Graph returns must stay on it. */
  origin: URL;
  configPath: string;
  pageSize: number;
  maxConcurrent: number;
  logger: Logger;
  graph: GraphTransport;
  /** GET of one event with the stamp; null when Graph says it does not exist. */
  fetchEvent(mailbox: string, eventId: string): Promise<GraphEvent | null>;
  map(event: GraphEvent, mailbox: string, call: string): CalendarEvent;
  parse<T>(mailbox: string, run: () => T): T;
  /** Told, once the round is complete, the organizer copies it returned. */
  keepCopies(mailbox: string, copies: Map<string, OutlookCopy>): void;
}

export interface RoundStart {
  /** The first request: a calendarView/delta path with the window, or a stored deltaLink. */
  link: string;
  /** The round's window (ISO), kept in the cursor. */
  from: string;
  to: string;
  /** Series masters known from earlier rounds (none on a full round). */
  series: string[];
  full: boolean;
  fullReason?: string;
  hints?: ReadHints;
}

export async function readRound(reader: RoundReader, mailbox: string, start: RoundStart): Promise<ChangeSet> {
  const items: GraphEvent[] = [];
  const seen = new Set<string>();
  let link = start.link;
  let deltaLink: string | undefined;
  for (let pages = 1; !deltaLink; pages += 1) {
    const data = await reader.graph.call({
      mailbox,
      method: 'GET',
      path: link,
      // event-delta.md lists `Content-Type: application/json` as required, and the sample repeats
      // the Prefer header on every page of the round.
      headers: { Prefer: `odata.maxpagesize=${reader.pageSize}, ${PREFER}`, 'Content-Type': 'application/json' },
      what: 'GET calendarView/delta',
    });
    const page = reader.parse(mailbox, () => parseDeltaPage(data));
    items.push(...page.value);
    const next = page['@odata.nextLink'];
    if (next) {
      if (seen.has(next) || pages >= MAX_PAGES) throw malformed(reader, mailbox, '@odata.nextLink', 'the round does not end (a next link came back twice)');
      seen.add(next);
      link = ownLink(reader, mailbox, next, '@odata.nextLink');
      continue;
    }
    const last = page['@odata.deltaLink'];
    if (!last) throw malformed(reader, mailbox, '@odata.deltaLink', 'missing on the last page of the round');
    deltaLink = ownLink(reader, mailbox, last, '@odata.deltaLink');
  }
  const resolved = await resolve(reader, mailbox, items, start.full ? [] : start.series, start.hints);
  reader.logger.debug({ mailbox, items: items.length, events: resolved.events.length, full: start.full }, 'Outlook mailbox read');
  reader.keepCopies(mailbox, resolved.copies);
  const cursor = encodeCursor({ deltaLink, from: start.from, to: start.to, series: resolved.series });
  return { events: resolved.events, cursor, full: start.full, ...(start.fullReason ? { fullReason: start.fullReason } : {}) };
}

/**
 * A round's items as events: GETs what planRound asks for, confirms `@removed` items, and emits
 * each series master once. When anything was confirmed gone, the known masters are looked up
 * too: a series deleted as a whole comes back only as `@removed` occurrence ids, and its meeting
 * is cancelled on the master's 404.
 */
async function resolve(
  reader: RoundReader,
  mailbox: string,
  items: GraphEvent[],
  knownSeries: string[],
  hints: ReadHints | undefined,
): Promise<{ events: CalendarEvent[]; series: string[]; copies: Map<string, OutlookCopy> }> {
  const plan = planRound(items, hints ? (id) => hints.holdsMeeting(id) : undefined);
  const context = { source: reader.source, calendarId: mailbox };
  const out = new Map<string, CalendarEvent>();
  const copies = new Map<string, OutlookCopy>();
  // Only what a write-back could start from: the organizer's live copy, with its etag for If-Match.
  const keep = (event: GraphEvent, mapped: CalendarEvent, stampRead: boolean): void => {
    const useful = event.isOrganizer === true && event.isCancelled !== true && event['@odata.etag'] && (hints?.keepCopy?.(mapped) ?? true);
    if (useful) copies.set(event.id, { event, stampRead });
    else copies.delete(event.id);
  };
  const emitAndKeep = (event: GraphEvent, call: string, stampRead: boolean): void => {
    const mapped = reader.map(event, mailbox, call);
    emit(mapped);
    keep(event, mapped, stampRead);
  };
  const emit = (event: CalendarEvent): void => {
    out.delete(event.eventId);
    out.set(event.eventId, event);
  };
  const masters = new Set(plan.masters);
  const fetchedMasters = new Map<string, GraphEvent>();
  let gone = 0;
  const route = (event: GraphEvent): void => {
    const role = roleOf(event);
    if (role === 'master') {
      masters.add(event.id);
      fetchedMasters.set(event.id, event);
      return;
    }
    if ((role === 'occurrence' || role === 'exception') && event.seriesMasterId) masters.add(event.seriesMasterId);
    if (role !== 'occurrence' || !event.seriesMasterId) emitAndKeep(event, 'GET event', true);
  };

  for (const item of plan.ready) emitAndKeep(item, 'calendarView/delta', false);
  await forEachLimited(reader.maxConcurrent, [...plan.fetch, ...plan.removed], async (id) => {
    const event = await reader.fetchEvent(mailbox, id);
    if (event) return route(event);
    gone += 1;
    emit(tombstone(id, context));
  });
  if (gone > 0) for (const id of knownSeries) masters.add(id);
  const series = new Set(knownSeries);
  await forEachLimited(reader.maxConcurrent, [...masters], async (id) => {
    const master = fetchedMasters.get(id) ?? (await reader.fetchEvent(mailbox, id));
    if (!master) {
      series.delete(id);
      emit({ ...tombstone(id, context), kind: 'series' });
      return;
    }
    if (master.isCancelled === true) series.delete(id);
    else series.add(id);
    emitAndKeep(master, 'GET event', true);
  });
  return { events: [...out.values()], series: [...series], copies };
}

/** Runs `work` over `ids` with at most `limit` in flight; the first failure stops the rest. */
async function forEachLimited(limit: number, ids: readonly string[], work: (id: string) => Promise<void>): Promise<void> {
  const queue = [...new Set(ids)];
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined && !failed; id = queue.shift()) {
      try {
        await work(id);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}

/** A link Graph returned, checked to stay on the configured Graph origin (the token goes with it). */
function ownLink(reader: RoundReader, mailbox: string, link: string, field: string): string {
  let url: URL;
  try {
    url = new URL(link, reader.origin);
  } catch {
    throw malformed(reader, mailbox, field, `"${link}" is not a URL`);
  }
  if (url.origin !== reader.origin.origin) {
    throw malformed(reader, mailbox, field, `points to ${url.origin}, not to ${reader.origin.origin} (${reader.configPath}.graphBaseUrl); not followed`);
  }
  return url.href;
}

function malformed(reader: RoundReader, mailbox: string, field: string, problem: string): CalendarError {
  const cause = new MalformedResponseError('Graph calendarView/delta', field, problem);
  return new CalendarError(reader.source, mailbox, cause.message, undefined, { cause });
}
