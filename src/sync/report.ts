import type { CycleCounts, EventOutcome, SyncAction } from '../domain/action.js';

/** What one sync cycle did (or, on a dry run, would do): counts, per-event outcomes, per-calendar results. */

export interface CalendarResult {
  source: string;
  calendarId: string;
  ok: boolean;
  error?: string;
  /** A broken credential: a person must act. */
  authError?: boolean;
  fullRead?: boolean;
  fullReason?: string;
  stopped?: string;
}

export interface CycleReport {
  dryRun: boolean;
  /** One outcome per event, counted once (see recordOutcome). */
  counts: CycleCounts;
  outcomes: EventOutcome[];
  calendars: CalendarResult[];
  /** Problems outside any one calendar: an account that could not be read, a failed provisioning. */
  problems: string[];
  /** Set when the platform refused meetsync itself and the cycle stopped (no cursor moved after it). */
  halted?: { error: string; credential: boolean };
  /** How long the cycle took (wall clock, milliseconds), process start and config load aside. */
  durationMs?: number;
  /** The plan, on a dry run: what would be done. */
  planned?: Array<{ source: string; calendarId: string; eventId: string; title: string; action: SyncAction['kind']; detail?: string }>;
}

export const emptyCounts = (): CycleCounts => ({ created: 0, updated: 0, cancelled: 0, adopted: 0, skipped: 0, failed: 0, unchanged: 0 });

export function count(counts: CycleCounts, outcome: EventOutcome['outcome']): void {
  if (outcome === 'recorded') return;
  counts[outcome] += 1;
}

const CHANGED = new Set<EventOutcome['outcome']>(['created', 'adopted']);

/**
 * Adds what became of an event to the cycle's outcomes, one per event: an event can be acted on
 * more than once in a cycle (an unfinished creation resolved, then the event read again; a
 * retried failure, then the same change read from the calendar). The latest word counts, except
 * that "unchanged" or "recorded" never hide what happened before, and an update right after the
 * meeting was created or adopted is part of that creation.
 */
export function recordOutcome(outcomes: Map<string, EventOutcome>, key: string, next: EventOutcome): void {
  const prev = outcomes.get(key);
  if (prev && (next.outcome === 'unchanged' || next.outcome === 'recorded')) return;
  if (prev && next.outcome === 'updated' && CHANGED.has(prev.outcome)) {
    outcomes.set(key, { ...prev, ...(next.meetingId ? { meetingId: next.meetingId } : {}) });
    return;
  }
  // Re-inserted so the listing follows the order of the final outcomes.
  outcomes.delete(key);
  outcomes.set(key, next);
}

/** The counts of a cycle's final outcomes. */
export function countAll(outcomes: Iterable<EventOutcome>): CycleCounts {
  const counts = emptyCounts();
  for (const o of outcomes) count(counts, o.outcome);
  return counts;
}


export function dryOutcome(kind: SyncAction['kind']): EventOutcome['outcome'] | undefined {
  switch (kind) {
    case 'create': return 'created';
    case 'update': return 'updated';
    case 'cancel': return 'cancelled';
    case 'adopt': return 'adopted';
    case 'skip': return 'skipped';
    case 'unchanged': return 'unchanged';
    case 'pending': return 'failed';
    case 'exception': return undefined;
    case 'remember-kept': return 'recorded';
  }
}

export function detailOf(a: SyncAction): { detail?: string } {
  switch (a.kind) {
    case 'create': return { detail: `${a.desired.topic} ${a.desired.start}${a.desired.recurrence ? ` (repeats ${a.desired.recurrence.frequencyType})` : ''}` };
    case 'update': return { detail: `changed: ${a.changes.join(', ')}` };
    case 'cancel': return { detail: `${a.mode === 'delete' ? 'delete meeting' : 'keep meeting'}: ${a.reason}` };
    case 'skip':
    case 'exception': return { detail: a.reason };
    default: return {};
  }
}
