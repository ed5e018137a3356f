import { z } from 'zod';
import type { SyncWindow } from '../source.js';
import { BLOCK_START } from '../../domain/join-block.js';
import { HTML_BLOCK_BEGIN } from './body.js';
import { isStripped, type GraphEvent } from './event.js';

/**
 * One round of calendarView/delta, decided without I/O: which items can be mapped as they
 * came, which need a GET, which series masters to fetch, and the cursor that carries the round
 * to the next cycle. outlook/source.ts performs what this decides.
 *
 * Why each rule (../shared/notes/PROVIDERS.md, Microsoft Graph; event-delta.md):
 * - Items may be replayed within a round: one entry per id, the last one wins.
 * - `@removed` is not proof of deletion: Graph also reports events that moved out of the window
 *   that way ("Events that are outside the date range and that have been added, deleted, or
 *   updated"). Each is looked up; only a 404 makes it a cancellation.
 * - calendarView returns occurrences and exceptions, never the series master; a series is one
 *   recurring meeting, so the master is fetched (once per round) and emitted as the series.
 *   A plain occurrence is not emitted: it is the rule's own instance, and the engine records an
 *   "occurrence" event as a moved or edited exception. Exceptions are emitted.
 * - Stripped items (only id/type/start/end/seriesMasterId, or anything missing a field the
 *   mapping needs) are completed with a GET.
 * - delta never returns extended properties ($expand is not supported on delta), so the stamp
 *   is read with a GET, but only for items whose body carries our block: the block and the stamp
 *   are written and removed together (outlook/source.ts), so an item without the block has no stamp the
 *   engine could adopt. That costs one GET per changed event meetsync wrote to, instead of one
 *   per changed event. The one case it misses: an organizer who deletes our block by hand while
 *   meetsync's database is lost gets a new meeting instead of the old one adopted.
 * - Nor is the stamp read for an event meetsync already holds a live meeting for (or whose
 *   series it holds): the engine adopts by stamp only events it has lost track of (source.ts
 *   ReadHints). Every PATCH meetsync makes changes the event, so the round after a write-back
 *   returns each written event once more (event-delta.md: delta returns "updated" events); they
 *   are all held, and cost nothing beyond the page they arrive on.
 */

export type Role = 'single' | 'exception' | 'occurrence' | 'master';

export function roleOf(event: GraphEvent): Role {
  const type = event.type?.toLowerCase();
  if (type === 'seriesmaster' || (!type && event.recurrence)) return 'master';
  if (type === 'exception') return 'exception';
  if (type === 'occurrence' || (!type && event.seriesMasterId)) return 'occurrence';
  return 'single';
}

/** The body shows meetsync wrote to this event: its stamp must be read with a GET. */
export function carriesOurBlock(event: GraphEvent): boolean {
  const content = event.body?.content ?? '';
  return content.includes(HTML_BLOCK_BEGIN) || content.includes(BLOCK_START);
}

/**
 * Whether the stamp of an item carrying our block could matter. Not on an attendee's copy: the
 * stamp is written only on the organizer's copy (outlook/source.ts refuses any other), an extended
 * property belongs to the item it was set on (extended-properties-overview.md), while the body,
 * block and all, reaches every attendee's copy with the meeting update Graph sends on each PATCH
 * of the organizer's event (PROVIDERS.md). Not on an event meetsync holds a live meeting for, nor
 * on an instance of a series it holds (source.ts ReadHints).
 */
function mayCarryStamp(item: GraphEvent, holdsMeeting: (eventId: string) => boolean): boolean {
  if (item.isOrganizer === false) return false;
  return !holdsMeeting(item.id) && !(item.seriesMasterId && holdsMeeting(item.seriesMasterId));
}

export interface RoundPlan {
  /** Complete single events and exceptions, mapped as they came. */
  ready: GraphEvent[];
  /** Ids to GET with the stamp: stripped items and items carrying our block. */
  fetch: string[];
  /** Ids reported under `@removed`: GET each; a 404 makes it cancelled, else the fresh event counts. */
  removed: string[];
  /** Series masters whose instances appeared (or that delta sent itself): GET each once. */
  masters: string[];
}

/**
 * `holdsMeeting`: true when meetsync holds a live meeting for the event (source.ts ReadHints);
 * without it every item carrying our block is read for its stamp.
 */
export function planRound(items: readonly GraphEvent[], holdsMeeting: (eventId: string) => boolean = () => false): RoundPlan {
  // Last copy wins, kept in the order the last copies arrived.
  const last = new Map<string, GraphEvent>();
  for (const item of items) {
    last.delete(item.id);
    last.set(item.id, item);
  }
  const plan: RoundPlan = { ready: [], fetch: [], removed: [], masters: [] };
  const masters = new Set<string>();
  for (const item of last.values()) {
    if (item['@removed']) {
      plan.removed.push(item.id);
      continue;
    }
    const role = roleOf(item);
    if (role === 'master') {
      masters.add(item.id);
      continue;
    }
    if ((role === 'occurrence' || role === 'exception') && item.seriesMasterId) masters.add(item.seriesMasterId);
    if (role === 'occurrence' && item.seriesMasterId) continue;
    if (isStripped(item) || (carriesOurBlock(item) && mayCarryStamp(item, holdsMeeting))) plan.fetch.push(item.id);
    else plan.ready.push(item);
  }
  plan.masters = [...masters];
  return plan;
}

/**
 * The cursor stored per mailbox: the deltaLink, the window the round was started with (Graph
 * bakes it into the token, event-delta.md: state tokens "encode the startDateTime and
 * endDateTime parameters"), and the series masters seen, so a series deleted as a whole (its
 * occurrences come back only as `@removed` ids) is looked up and its meeting cancelled.
 */
export interface DeltaCursor {
  deltaLink: string;
  /** The round's window, ISO instants. */
  from: string;
  to: string;
  series: string[];
}

const cursorSchema = z.object({
  v: z.literal(1),
  deltaLink: z.string().refine((link) => URL.canParse(link), 'not an absolute URL'),
  from: z.string(),
  to: z.string(),
  series: z.array(z.string()),
});

/** Masters remembered per mailbox; the oldest are forgotten first. */
export const MAX_REMEMBERED_SERIES = 2000;

export function encodeCursor(cursor: DeltaCursor): string {
  const series = cursor.series.slice(-MAX_REMEMBERED_SERIES);
  return JSON.stringify({ v: 1, deltaLink: cursor.deltaLink, from: cursor.from, to: cursor.to, series });
}

/** The stored cursor, or undefined when it is not one of ours (another version, another provider). */
export function decodeCursor(text: string): DeltaCursor | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { deltaLink, from, to, series } = parsed.data;
  if (Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) return undefined;
  return { deltaLink, from, to, series };
}

/**
 * Why the stored round cannot serve `window`, or undefined when it can. A round covers a window
 * when the window lies inside it; the window moves with the clock, so each round is started
 * `slackMs` wider than asked at its end and lasts until the window's end passes the round's.
 */
export function roundMismatch(cursor: DeltaCursor, window: SyncWindow): string | undefined {
  const from = Date.parse(cursor.from);
  const to = Date.parse(cursor.to);
  if (window.from.getTime() < from) {
    return `the sync window now starts ${window.from.toISOString()}, before the delta round's start ${cursor.from}; reading the window afresh`;
  }
  if (window.to.getTime() > to) {
    return `the sync window now ends ${window.to.toISOString()}, after the delta round's end ${cursor.to}; reading the window afresh`;
  }
  return undefined;
}
