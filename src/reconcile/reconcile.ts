import { asKeptMapping } from '../domain/kept-meeting.js';
import type { Mapping, Organizer } from '../domain/mapping.js';
import type { PlatformUser } from '../domain/meeting.js';
import { scrubDeep } from '../domain/redact.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { compare, reportedWarnings, type OrganizerFeed } from './compare.js';
import { FEED_LIMITS, fetchOrganizerFeed, inPool, type FeedLimits, type ReconcilePlatform } from './feed-fetch.js';
import { summarize, type Finding, type ReconcileReport } from './findings.js';
import { repair, type RepairSettings } from './repair.js';

/**
 * One reconciliation: every organizer's meeting feed read (at most `limits.concurrency` at once,
 * each within its limits), compared with meetsync's database, and, when asked, repaired.
 * An organizer whose feed cannot be read is one finding; the others go on.
 */

export interface ReconcileOptions {
  store: Store;
  platform: ReconcilePlatform;
  logger: Logger;
  now?: () => Date;
  /** Only this organizer (an email). */
  organizer?: string;
  limits?: FeedLimits;
  /** Repair what was found (or say what would be done, with dryRun). */
  repair?: RepairSettings;
}

/**
 * The organizers to reconcile: the known ones, and any a mapping names that the database lacks.
 * One the platform gave no feed (hasFeed false at the last look-up) is left out unless meetsync
 * holds meetings of theirs: there is nothing to compare, and an alert forever would teach IT to
 * ignore the exit code.
 */
function organizersOf(store: Store, only: string | undefined): Array<Organizer | { email: string; unknown: true }> {
  const fromMappings = new Set(store.mappings().filter((m) => m.state === 'active' || m.state === 'creating').map((m) => m.organizerEmail.toLowerCase()));
  const known = store.organizers().filter((o) => o.hasFeed || fromMappings.has(o.email));
  const byEmail = new Map(store.organizers().map((o) => [o.email, o]));
  const all: Array<Organizer | { email: string; unknown: true }> = [...known];
  for (const email of fromMappings) if (!byEmail.has(email)) all.push({ email, unknown: true });
  const wanted = only?.toLowerCase();
  return all.filter((o) => wanted === undefined || o.email === wanted).sort((a, b) => a.email.localeCompare(b.email));
}

/** The organizers a command may name with --organizer. */
export function reconcilableOrganizers(store: Store): string[] {
  return organizersOf(store, undefined).map((o) => o.email);
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const { store, platform, logger } = options;
  const now = options.now ?? (() => new Date());
  const limits = options.limits ?? FEED_LIMITS;
  const started = now();
  const admins = new Map<string, Promise<PlatformUser[]>>();
  const organizers = organizersOf(store, options.organizer);

  const feeds = await inPool(organizers, limits.concurrency, async (o): Promise<{ email: string; feed: OrganizerFeed }> => {
    if ('unknown' in o) {
      return { email: o.email, feed: { ok: false, error: `${o.email} has meetings in meetsync's database but is no known organizer; run 'meetsync organizers --refresh'` } };
    }
    const feed = await fetchOrganizerFeed(platform, o, admins, limits);
    if (!feed.ok) logger.warn({ organizer: o.email }, `reconciliation: ${feed.error}`);
    else if (reportedWarnings(feed.read).length > 0) logger.info({ organizer: o.email, warnings: reportedWarnings(feed.read).length }, 'reconciliation: parts of the meeting feed could not be read exactly');
    return { email: o.email, feed };
  });

  const comparison = compare({ now: started, organizers: feeds, mappings: withKeptMeetings(store), notes: store.notes() });
  for (const f of comparison.findings) {
    const explain = explainCommand(f, store);
    if (explain) f.explain = explain;
  }
  const report: ReconcileReport = {
    version: 1,
    generatedAt: started.toISOString(),
    mode: options.repair ? (options.repair.dryRun ? 'dry-run' : 'repair') : 'report',
    deleteOrphans: options.repair?.deleteOrphans ?? false,
    summary: comparison.summary,
    organizers: comparison.organizers,
    findings: comparison.findings,
  };
  if (options.repair) {
    await repair(report.findings, { ...options.repair, store, platform, logger, now });
    const { organizers: n, platformMeetings, mappings, past } = report.summary;
    report.summary = summarize({ organizers: n, platformMeetings, mappings, past }, report.findings);
  }
  const s = report.summary;
  logger.info(
    { organizers: s.organizers, open: s.open, repaired: s.repaired, timeDrift: s['time-drift'], topicDrift: s['topic-drift'], missing: s.missing, orphan: s.orphan, duplicate: s.duplicate, stuck: s.stuck, feedUnreadable: s['feed-unreadable'] },
    s.open === 0 ? 'reconciliation: all in step' : `reconciliation: ${s.open} finding(s) need attention`,
  );
  // A report is handed around: no secret may be in it, whatever a provider echoed.
  return scrubDeep(report);
}

/**
 * `meetsync explain <event>` for a finding: by its event's id, else by its meeting's number (or
 * id) when the journal or a record knows which event had it. A meeting not meetsync's has no story.
 */
function explainCommand(f: Finding, store: Store): string | undefined {
  if (f.event) return `meetsync explain ${f.event.eventId}`;
  const meeting = f.meetingNumber ?? f.meetingId;
  return meeting && store.eventsByMeeting(meeting).length > 0 ? `meetsync explain ${meeting}` : undefined;
}

/**
 * The mappings, and the meetings kept for their organizers (onEventCancelled: keep) as mappings
 * in state 'kept': a kept meeting whose event was tagged again has lost its mapping to the new
 * meeting, and is still meetsync's and kept (listed, never touched), never an orphan.
 */
function withKeptMeetings(store: Store): Mapping[] {
  const mappings = store.mappings();
  const named = new Set(mappings.filter((m) => m.state === 'kept').map((m) => m.meetingId));
  return [...mappings, ...store.keptMeetings().filter((k) => !named.has(k.meetingId)).map(asKeptMapping)];
}

