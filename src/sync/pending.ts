import { describeError } from '../domain/errors.js';
import type { Mapping } from '../domain/mapping.js';
import type { CalendarSource } from '../calendars/source.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { FeedMeeting, MeetingPlatform, PlatformUser } from '../domain/meeting.js';
import { createFromIntent, writeBack, type MeetingDefaults } from './execute.js';
import { haltIfPlatformWide } from './failure.js';
import { feedPathOf } from './organizers.js';

/** How long resolvePending trusts the feed's silence, and how often it looks at a held creation again. */
export interface PendingTimings {
  /**
   * A marker missing from the feed is proof that a POST never took effect only once the feed
   * has had this long to show it (feeds can lag). Until then the creation waits.
   * @default 600000 (10 minutes)
   */
  feedGraceMs: number;
  /** A held creation (found without its id) is looked for again at most this often. @default 3600000 */
  heldRecheckMs: number;
}

export const PENDING_DEFAULTS: PendingTimings = { feedGraceMs: 10 * 60_000, heldRecheckMs: 60 * 60_000 };

export interface PendingContext {
  store: Store;
  platform: MeetingPlatform;
  sources: ReadonlyMap<string, CalendarSource>;
  defaults: MeetingDefaults;
  now: () => Date;
  logger: Logger;
  timings?: PendingTimings;
}

export interface PendingReport {
  adopted: Mapping[];
  created: Mapping[];
  unresolved: Array<{ mapping: Mapping; reason: string }>;
}

/**
 * Finishes creations that a crash or a lost answer left unconfirmed ('creating' mappings), before
 * the cycle creates anything new. The organizer's meeting feed is searched for the intent's
 * marker:
 * - found with the meeting's id: the meeting is adopted;
 * - found with its number only (assumption 8 allows a feed that names meetings by number): the
 *   meeting exists, but without its id it can be neither updated nor deleted. It is held, with
 *   the reason in `status`, and never posted again while the feed shows the marker;
 * - absent: the POST never took effect, but only once the feed has had `feedGraceMs` since the
 *   POST to show it; then it is created again with the same marker. Before that it waits.
 * A feed that cannot be read leaves the intent as it is: creating again without that proof could
 * make a duplicate.
 */
export async function resolvePending(ctx: PendingContext): Promise<PendingReport> {
  const timings = ctx.timings ?? PENDING_DEFAULTS;
  const now = ctx.now().getTime();
  const report: PendingReport = { adopted: [], created: [], unresolved: [] };
  // Only calendars a source lists: another shard's (docs/scaling.md) or one taken out of the config is left alone.
  const listed = (m: Mapping) => ctx.sources.get(m.source)?.calendars.includes(m.calendarId) ?? false;
  const creating = ctx.store.mappings({ state: 'creating' }).filter(listed);
  const due = creating.filter((m) => !m.held || now - Date.parse(m.updatedAt) >= timings.heldRecheckMs);
  const byOrganizer = new Map<string, Mapping[]>();
  for (const m of due) byOrganizer.set(m.organizerEmail, [...(byOrganizer.get(m.organizerEmail) ?? []), m]);

  const admins = new Map<string, Promise<PlatformUser[]>>();
  for (const [email, intents] of byOrganizer) {
    let feed: FeedMeeting[];
    try {
      const organizer = ctx.store.organizer(email);
      const icsPath = organizer ? await feedPathOf(ctx.platform, organizer, admins) : undefined;
      if (!icsPath) throw new Error(`the platform gives no meeting feed (icsPath) for organizer ${email}`);
      feed = await ctx.platform.readFeed(icsPath);
    } catch (err) {
      haltIfPlatformWide(err);
      const reason = `cannot confirm ${intents.length} unfinished creation(s) for ${email}: ${describeError(err)}`;
      ctx.logger.error(reason);
      intents.forEach((mapping) => report.unresolved.push({ mapping, reason }));
      continue;
    }
    for (const intent of intents) {
      const source = ctx.sources.get(intent.source);
      const execCtx = { ...ctx, source: source! };
      try {
        const found = feed.find((f) => f.description.includes(intent.marker));
        if (found?.meetingId) {
          const adopted: Mapping = {
            ...intent,
            meetingId: found.meetingId,
            ...(found.meetingNumber ? { meetingNumber: found.meetingNumber } : {}),
            state: 'active',
            updatedAt: ctx.now().toISOString(),
          };
          delete adopted.held;
          ctx.store.transaction(() => {
            ctx.store.saveMapping(adopted);
            ctx.store.clearNote(intent);
          });
          ctx.logger.info({ event: intent.eventId, meetingId: found.meetingId }, 'unfinished creation found on the platform; adopted');
          if (source) await writeBack(adopted, execCtx);
          report.adopted.push(adopted);
        } else if (found) {
          const held = hold(intent, found, ctx);
          report.unresolved.push({ mapping: held, reason: held.held! });
        } else if (now - Date.parse(intent.updatedAt) < timings.feedGraceMs) {
          const wait = Math.ceil((timings.feedGraceMs - (now - Date.parse(intent.updatedAt))) / 60_000);
          report.unresolved.push({
            mapping: intent,
            reason: `its creation is not confirmed yet: the meeting is not in the organizer's feed, which may lag; created again in about ${wait} min if it still is not there`,
          });
        } else {
          // The POST time is recorded first: the grace above counts from this attempt.
          const attempt: Mapping = { ...intent, updatedAt: ctx.now().toISOString() };
          delete attempt.held;
          ctx.store.saveMapping(attempt);
          const created = await createFromIntent(attempt, execCtx);
          if (source) await writeBack(created, execCtx);
          report.created.push(created);
        }
      } catch (err) {
        haltIfPlatformWide(err);
        report.unresolved.push({ mapping: intent, reason: describeError(err) });
      }
    }
  }
  for (const m of creating.filter((x) => x.held && !due.some((d) => d.marker === x.marker))) {
    report.unresolved.push({ mapping: m, reason: m.held! });
  }
  return report;
}

/** Records that the meeting exists (found by marker) but cannot be adopted without its id. */
function hold(intent: Mapping, found: FeedMeeting, ctx: PendingContext): Mapping {
  const number = found.meetingNumber ?? found.uid;
  const held: Mapping = {
    ...intent,
    ...(found.meetingNumber ? { meetingNumber: found.meetingNumber } : {}),
    held:
      `its meeting ${number} exists on the platform (found in the organizer's feed by meetsync's reference), but the feed ` +
      `does not give the meeting id needed to update or delete it; meetsync will not create a second one. ` +
      `Delete meeting ${number} on the platform to have it created again, or keep it as it is`,
    updatedAt: ctx.now().toISOString(),
  };
  ctx.store.transaction(() => {
    ctx.store.saveMapping(held);
    // `status` shows the held reason from the mapping; an older note about the lost answer is superseded.
    ctx.store.clearNote(intent);
  });
  ctx.logger.warn({ event: intent.eventId, meetingNumber: found.meetingNumber }, 'unfinished creation found on the platform without its id; held');
  return held;
}
