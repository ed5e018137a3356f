import type { EventKey } from './mapping.js';

/**
 * The event journal (issue 20): the story of one event as meetsync lived it, for `meetsync
 * explain`. Two kinds of entries:
 * - 'read': what meetsync read of the event (title, times, tag, organizer) and what it decided,
 *   with the rule that said so;
 * - 'call': one call made for the event (POST, PUT, DELETE of its meeting, the join link written
 *   into or removed from the event, an adoption, a look into the organizer's feed), with its
 *   outcome and the platform's or provider's reason.
 * Entries are written with the record they explain, in its transaction (store.ts journal).
 */

export type JournalKind = 'read' | 'call';

/** The calls an entry can name. */
export type JournalCall = 'POST /meeting' | 'PUT /meeting' | 'DELETE /meeting' | 'write-back' | 'link removal' | 'adoption' | 'feed check' | 'kept';

/**
 * A call's outcome. 'sent': written before the call, settled by its answer; one still 'sent' was
 * cut short (meetsync stopped). 'unconfirmed': sent, but whether it took effect is unknown.
 */
export type CallOutcome = 'sent' | 'ok' | 'failed' | 'refused' | 'unconfirmed' | 'gone' | 'found' | 'held' | 'waiting' | 'absent' | 'dropped';

export interface JournalEntry extends EventKey {
  at: string;
  kind: JournalKind;
  /** read: the decision ('wants a meeting', 'no meeting', 'occurrence'); call: which call (JournalCall). */
  what: string;
  /** read: the action planned (create, update, skip, ...); call: its CallOutcome. */
  outcome: string;
  /** read: the rule that decided; call: what was sent and the answer, or the reason it failed. */
  detail?: string;
  /** As read (read entries). */
  title?: string;
  start?: string;
  end?: string;
  organizer?: string;
  /** The keyword or category that tagged the event, as read. */
  tag?: string;
  meetingId?: string;
  meetingNumber?: string;
  /** How many times in a row this same entry was seen, and the last time (absent: once). */
  repeats?: number;
  lastAt?: string;
}

/** How much of the journal is kept (config `journal`). */
export interface JournalLimits {
  /** The newest entries kept per event. @default 50 */
  perEvent: number;
  /** Entries older than this are pruned. @default 90 */
  maxAgeDays: number;
}

export const JOURNAL_DEFAULTS: JournalLimits = { perEvent: 50, maxAgeDays: 90 };

/** Outcomes of calls that are each worth an entry of their own, even when the same as the last one. */
const NEVER_MERGED = new Set(['ok', 'sent']);

/** Whether `next` repeats `last` (a retried failure, the same read again): then it counts up `last` instead of adding an entry. */
export function repeatsEntry(last: JournalEntry | undefined, next: JournalEntry): boolean {
  if (!last || (next.kind === 'call' && NEVER_MERGED.has(next.outcome))) return false;
  return (
    last.kind === next.kind && last.what === next.what && last.outcome === next.outcome && (last.detail ?? '') === (next.detail ?? '') &&
    (last.title ?? '') === (next.title ?? '') && (last.start ?? '') === (next.start ?? '') && (last.end ?? '') === (next.end ?? '') &&
    (last.meetingNumber ?? '') === (next.meetingNumber ?? '')
  );
}
