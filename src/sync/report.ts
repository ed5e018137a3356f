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
  counts: CycleCounts;
  outcomes: EventOutcome[];
  calendars: CalendarResult[];
  /** The plan, on a dry run: what would be done. */
  planned?: Array<{ source: string; calendarId: string; eventId: string; title: string; action: SyncAction['kind']; detail?: string }>;
}

export const emptyCounts = (): CycleCounts => ({ created: 0, updated: 0, cancelled: 0, adopted: 0, skipped: 0, failed: 0, unchanged: 0 });

export function count(counts: CycleCounts, outcome: EventOutcome['outcome']): void {
  if (outcome === 'recorded') return;
  counts[outcome] += 1;
}


export function dryOutcome(a: SyncAction): EventOutcome['outcome'] | undefined {
  switch (a.kind) {
    case 'create': return 'created';
    case 'update': return 'updated';
    case 'cancel': return 'cancelled';
    case 'adopt': return 'adopted';
    case 'skip': return 'skipped';
    case 'unchanged': return 'unchanged';
    case 'pending': return 'failed';
    case 'exception': return undefined;
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
