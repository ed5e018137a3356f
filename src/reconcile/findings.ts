import type { MappingState } from '../domain/mapping.js';
import type { Recurrence } from '../domain/meeting.js';
import type { FeedWarning } from '../webmeeting/feed/text.js';

/**
 * The data of a reconciliation: what `compare` finds, what `repair` did about it, and the report
 * every format renders. Plain data, JSON as is: `--format json` prints a ReconcileReport, and
 * the README documents it (version 1). Fields are only ever added.
 */

export const FINDING_KINDS = [
  'in-step',
  'time-drift',
  'topic-drift',
  'missing',
  'orphan',
  'duplicate',
  'stuck',
  'feed-unreadable',
  'unmanaged',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** Kinds that are information only: they never make the exit code 3 and are never repaired. */
export const INFORMATION_KINDS: ReadonlySet<FindingKind> = new Set(['in-step', 'unmanaged']);

/** What a repair does for a finding (decided by compare, done by repair). */
export type FixAction = 'update' | 'recreate' | 'adopt' | 'delete';

/** The calendar side: the event as meetsync last saw it (its mapping). */
export interface EventSide {
  source: string;
  calendarId: string;
  eventId: string;
  state: MappingState | 'none';
  topic: string;
  start?: string;
  end?: string;
  timeZone?: string;
  recurrence?: Recurrence | null;
  marker?: string;
}

/** The platform side: the meeting as the organizer's feed shows it. */
export interface PlatformSide {
  meetingId?: string;
  meetingNumber?: string;
  topic: string;
  start?: string;
  end?: string;
  allDay?: boolean;
  rrule?: string;
  /** meetsync markers in its agenda. */
  markers: string[];
}

export type RepairOutcome = 'done' | 'would' | 'skipped' | 'failed';

export interface RepairResult {
  action: FixAction;
  outcome: RepairOutcome;
  /** One sentence: what was done, or why not. */
  detail: string;
  /** The meeting after the repair, when it changed (recreated, adopted). */
  meetingId?: string;
  meetingNumber?: string;
}

export interface Finding {
  kind: FindingKind;
  /** Lower-cased email of the organizer whose feed and mappings this concerns. */
  organizer: string;
  /** What a person reads: one sentence. */
  detail: string;
  /** The topic to show: the event's, else the platform's. */
  topic: string;
  meetingId?: string;
  meetingNumber?: string;
  /** Drift: the fields that differ. */
  fields?: Array<'start' | 'end' | 'recurrence' | 'topic'>;
  event?: EventSide;
  platform?: PlatformSide;
  /** What --repair would do; absent when nothing is to be done (or can be). */
  fix?: FixAction;
  /** Why --repair leaves it as it is, when it does. */
  fixBlocked?: string;
  /** Filled by --repair (or --repair --dry-run). */
  repair?: RepairResult;
  /** The command that tells the story of the finding's event (issue 20), when meetsync knows the event. */
  explain?: string;
}

/**
 * A feed warning as the report shows it: the reader's, without the fields it gives its callers
 * to decide by (`kind`, `detail`), so that the report (version 1) stays as it was.
 */
export type ReportedFeedWarning = Omit<FeedWarning, 'kind' | 'detail'>;

export type FeedStatus =
  | { ok: true; meetings: number; vevents: number; complete: boolean; warnings: ReportedFeedWarning[] }
  | { ok: false; error: string };

export interface OrganizerResult {
  email: string;
  feed: FeedStatus;
}

export type Summary = Record<FindingKind, number> & {
  organizers: number;
  /** Meetings in the feeds that were compared (not over). */
  platformMeetings: number;
  /** Mappings that were compared (not over). */
  mappings: number;
  /** Meetings and mappings left out because they are over. */
  past: number;
  repaired: number;
  /** Findings that are neither information nor repaired: the exit code is 3 when this is not 0. */
  open: number;
};

export interface ReconcileReport {
  version: 1;
  generatedAt: string;
  mode: 'report' | 'repair' | 'dry-run';
  deleteOrphans: boolean;
  summary: Summary;
  organizers: OrganizerResult[];
  findings: Finding[];
}

export function emptySummary(): Summary {
  const counts = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>;
  return { ...counts, organizers: 0, platformMeetings: 0, mappings: 0, past: 0, repaired: 0, open: 0 };
}

/** A finding still needing a person (or a repair): not information, not repaired. */
export function isOpen(f: Finding): boolean {
  return !INFORMATION_KINDS.has(f.kind) && f.repair?.outcome !== 'done';
}

/** Recounts the kinds, repaired and open findings of a report (after a repair filled them in). */
export function summarize(base: Omit<Summary, FindingKind | 'repaired' | 'open'>, findings: readonly Finding[]): Summary {
  const summary = { ...emptySummary(), ...base };
  for (const f of findings) {
    summary[f.kind] += 1;
    if (f.repair?.outcome === 'done') summary.repaired += 1;
    if (isOpen(f)) summary.open += 1;
  }
  return summary;
}

/** The words a person reads for each kind (text, CSV, HTML). */
export const KIND_LABEL: Record<FindingKind, string> = {
  'in-step': 'in step',
  'time-drift': 'time drift',
  'topic-drift': 'topic drift',
  missing: 'missing',
  orphan: 'orphan',
  duplicate: 'duplicate',
  stuck: 'stuck',
  'feed-unreadable': 'feed unreadable',
  unmanaged: 'unmanaged',
};
