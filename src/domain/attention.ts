import type { EventNote, Mapping, Tries } from './mapping.js';

export type { Tries } from './mapping.js';

/**
 * One place owns retries and attention (issue 15). Whatever meetsync has left to do for an event
 * is one item here, with a reason, when it is tried next and an upper bound:
 * - an action that failed (network, 5xx, 429, a refused organizer): tried at every cycle for the
 *   first tries, then less and less often, and past `limitMs` since the first failure it is held
 *   for IT and tried hourly;
 * - a join link not written into the event: the same schedule;
 * - a creation not confirmed (the answer to POST /meeting lost): resolved from the organizer's
 *   feed at every cycle, held for IT past the same bound (sync/pending.ts, lost-creation.ts);
 * - an update or deletion not confirmed: sent again with the event's action;
 * - an action the platform refused for the event itself: tried when the event changes;
 * - an event waiting for its organizer's platform user: looked for every 15 minutes.
 * The engine asks `isDue` before each retry; `status`, the status page, /healthz and /metrics all
 * list `attentionItems`. Pure: the caller passes the records and the time.
 */

/** How one failed thing is tried again. */
export interface RetryPolicy {
  /** Tries made at each cycle before the waits start. */
  everyCycle: number;
  /** The first wait; each next one doubles, up to `slowMs`. */
  firstWaitMs: number;
  /** The longest wait, and the wait once held for IT. */
  slowMs: number;
  /** Past this long since the first failure, the item is held for IT (webMeeting.holdUnconfirmedAfterHours). */
  limitMs: number;
}

export const RETRY_DEFAULTS: RetryPolicy = { everyCycle: 3, firstWaitMs: 5 * 60_000, slowMs: 60 * 60_000, limitMs: 24 * 3_600_000 };

/** The tries after one more failure at `now` (the first when `before` is undefined). */
export function afterFailure(before: Tries | undefined, now: Date, policy: RetryPolicy = RETRY_DEFAULTS): Tries {
  const since = before?.since ?? now.toISOString();
  const attempts = (before?.attempts ?? 0) + 1;
  return { since, attempts, nextTryAt: new Date(now.getTime() + waitAfter(attempts, Date.parse(since), now, policy)).toISOString() };
}

function waitAfter(attempts: number, since: number, now: Date, policy: RetryPolicy): number {
  if (now.getTime() - since >= policy.limitMs) return policy.slowMs;
  if (attempts <= policy.everyCycle) return 0;
  return Math.min(policy.slowMs, policy.firstWaitMs * 2 ** (attempts - policy.everyCycle - 1));
}

/** Due at `now`: never tried (rows from before schema 6 have no time), or its next try has come. */
export function isDue(tries: Tries | undefined, now: Date): boolean {
  return !tries || Date.parse(tries.nextTryAt) <= now.getTime();
}

/** Held for IT: failing for longer than the bound; tried hourly, and `status` asks a person to look. */
export function isHeld(tries: Tries | undefined, now: Date, policy: RetryPolicy = RETRY_DEFAULTS): boolean {
  return tries !== undefined && now.getTime() - Date.parse(tries.since) >= policy.limitMs;
}

export type AttentionKind = 'action' | 'organizer' | 'creation' | 'update' | 'deletion' | 'join-link';

/** One thing meetsync has left to do for an event. */
export interface AttentionItem {
  kind: AttentionKind;
  source: string;
  calendarId: string;
  eventId: string;
  title: string;
  start?: string;
  reason: string;
  /** When it first failed or was sent unconfirmed. */
  since?: string;
  attempts?: number;
  /**
   * When meetsync tries again: an instant, or 'next cycle', or 'when the event changes' (refused
   * by the platform for this event), or 'when the organizer has a platform user'.
   */
  nextTry: string;
  /** The upper bound: past it the item is held for IT (and tried hourly). Absent where meetsync does not retry on its own. */
  heldAfter?: string;
  /** Past its bound, or refused: a person must look (the reason says what to do). */
  needsPerson: boolean;
}

export interface AttentionInput {
  notes: readonly EventNote[];
  mappings: readonly Mapping[];
  now: Date;
  policy?: RetryPolicy;
  /** When organizers waited for are next asked for (every 15 minutes). */
  organizersNextCheck?: string;
}

/** Everything meetsync has left to do, one item per thing, in the order of the records given. */
export function attentionItems(input: AttentionInput): AttentionItem[] {
  const policy = input.policy ?? RETRY_DEFAULTS;
  const { now } = input;
  const bound = (since: string) => new Date(Date.parse(since) + policy.limitMs).toISOString();
  const when = (t: Tries | undefined) => (isDue(t, now) ? 'next cycle' : t!.nextTryAt);
  const items: AttentionItem[] = [];
  const base = (x: { source: string; calendarId: string; eventId: string }, title: string, start?: string) => ({
    source: x.source, calendarId: x.calendarId, eventId: x.eventId, title, ...(start ? { start } : {}),
  });
  // A creation not confirmed is driven from its intent (sync/pending.ts), not from a note of its failed POST.
  const creating = new Map(input.mappings.filter((m) => m.state === 'creating').map((m) => [keyString(m), m]));
  const notesBy = new Map(input.notes.map((n) => [keyString(n), n]));
  for (const n of input.notes) {
    if (creating.has(keyString(n))) continue;
    if (n.kind === 'failed' && n.retry) {
      items.push({
        kind: 'action', ...base(n, n.title, n.start), reason: n.reason,
        ...(n.tries ? { since: n.tries.since, attempts: n.tries.attempts, heldAfter: bound(n.tries.since) } : {}),
        nextTry: when(n.tries), needsPerson: isHeld(n.tries, now, policy),
      });
    } else if (n.kind === 'failed') {
      items.push({ kind: 'action', ...base(n, n.title, n.start), reason: n.reason, since: n.updatedAt, nextTry: 'when the event changes', needsPerson: true });
    } else if (n.kind === 'skipped' && n.awaitingOrganizer) {
      items.push({ kind: 'organizer', ...base(n, n.title, n.start), reason: n.reason, since: n.updatedAt, nextTry: input.organizersNextCheck ?? 'next cycle', needsPerson: true });
    }
  }
  for (const m of input.mappings) {
    const note = notesBy.get(keyString(m));
    if (m.state === 'creating') {
      // updatedAt is the time of the last POST: the bound counts from it (sync/lost-creation.ts).
      items.push({
        kind: 'creation', ...base(m, m.topic, m.start),
        reason: m.held ?? (note?.kind === 'failed' ? note.reason : 'its creation is not confirmed yet (the answer to POST /meeting was lost); confirmed from the organizer\'s feed next cycle'),
        since: m.updatedAt, nextTry: m.held ? new Date(Date.parse(m.updatedAt) + policy.slowMs).toISOString() : 'next cycle',
        heldAfter: bound(m.updatedAt), needsPerson: m.held !== undefined,
      });
      continue;
    }
    if (note?.kind === 'failed') continue;
    if (m.state === 'active' && m.updatingSince) {
      items.push({ kind: 'update', ...base(m, m.topic, m.start), reason: 'an update of its meeting is not confirmed (its answer was lost); the event\'s times and topic are sent again when it is read', since: m.updatingSince, nextTry: 'next cycle', needsPerson: false });
    } else if (m.deletingSince && m.state !== 'cancelled') {
      items.push({ kind: 'deletion', ...base(m, m.topic, m.start), reason: 'a deletion of its meeting is not confirmed (its answer was lost); checked when the event is read again', since: m.deletingSince, nextTry: 'next cycle', needsPerson: false });
    } else if ((m.state === 'active' || m.state === 'cancelled') && m.writeBack === 'pending') {
      // An active record owes the writing of its join link, a cancelled one the removal of its deleted meeting's.
      const t = m.writeBackTries;
      const owed = m.state === 'active' ? 'the join link is not written into the event yet' : 'the join link of its deleted meeting is still in the event; it is removed';
      items.push({
        kind: 'join-link', ...base(m, m.topic, m.start), reason: m.lastError ?? owed,
        ...(t ? { since: t.since, attempts: t.attempts, heldAfter: bound(t.since) } : {}),
        nextTry: when(t), needsPerson: isHeld(t, now, policy),
      });
    }
  }
  return items;
}

function keyString(x: { source: string; calendarId: string; eventId: string }): string {
  return `${x.source}\u0000${x.calendarId}\u0000${x.eventId}`;
}
