import { describeError } from '../domain/errors.js';
import type { RetryPolicy } from '../domain/attention.js';
import type { TaggingRules } from '../domain/tagging.js';
import { wantedMeeting, type Want } from '../domain/wants.js';
import type { Mapping } from '../domain/mapping.js';
import type { CalendarSource } from '../calendars/source.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { FeedMeeting, FeedReading, MeetingPlatform, PlatformUser } from '../domain/meeting.js';
import { createFromIntent, execute, writeBack, type MeetingDefaults } from './execute.js';
import { haltIfPlatformWide } from './failure.js';
import { feedPathOf } from './organizers.js';
import { learnFromFeed } from './feed-evidence.js';
import { judgeAbsence, unconfirmable, type Unresolved } from './lost-creation.js';
import { callEntry, sentFields } from './journal-entries.js';

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
  /**
   * A creation the organizer's feed cannot confirm (unreadable, no icsPath, an unreadable entry)
   * waits for it every cycle up to this long after its POST; then it is held for IT, with the
   * reason in `status`, and looked at every `heldRecheckMs`. @default 86400000 (24 hours)
   */
  unconfirmedLimitMs: number;
}

export const PENDING_DEFAULTS: PendingTimings = { feedGraceMs: 10 * 60_000, heldRecheckMs: 60 * 60_000, unconfirmedLimitMs: 24 * 3_600_000 };

export interface PendingContext {
  store: Store;
  platform: MeetingPlatform;
  sources: ReadonlyMap<string, CalendarSource>;
  defaults: MeetingDefaults;
  now: () => Date;
  logger: Logger;
  timings?: PendingTimings;
  /** How a join link that fails to be written is tried again. @default RETRY_DEFAULTS */
  retry?: RetryPolicy;
  /** Whether the event still wants a meeting before one is posted again. */
  rules: TaggingRules;
  /** Whether this cycle serves the creation's calendar (configured, its lease held). @default configured in `sources` */
  serves?: (m: Mapping) => boolean;
}

export interface PendingReport {
  adopted: Mapping[];
  created: Mapping[];
  /** Never made, and their event no longer wants a meeting: dropped instead of posted again. */
  dropped: Array<{ mapping: Mapping; reason: string }>;
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
 * - absent: the POST never took effect, but only where absence can prove it (lost-creation.ts):
 *   the feed was read whole, has been seen to carry meetsync's references (feed-evidence.ts),
 *   has had `feedGraceMs` since the POST to show the meeting, and shows no unmapped meeting with
 *   the same topic and times. Then it is created again with the same marker. Before the grace it
 *   waits; otherwise it is held, and `status` says what to do.
 * The feed is read entry by entry: an unreadable entry stalls no creation found elsewhere in it,
 * but one not found waits (the entry could be its meeting). A creation the feed cannot confirm
 * (unreadable, no icsPath) waits every cycle up to `unconfirmedLimitMs`, then is held for IT.
 * Each unresolved creation's current reason replaces what `status` showed before.
 */
export async function resolvePending(ctx: PendingContext): Promise<PendingReport> {
  const timings = ctx.timings ?? PENDING_DEFAULTS;
  const now = ctx.now().getTime();
  const report: PendingReport = { adopted: [], created: [], dropped: [], unresolved: [] };
  // Only calendars a source lists: another replica's (docs/scaling.md) or one taken out of the config is left alone.
  const listed = (m: Mapping) => (ctx.serves ? ctx.serves(m) : (ctx.sources.get(m.source)?.calendars.includes(m.calendarId) ?? false));
  const creating = ctx.store.mappings({ state: 'creating' }).filter(listed);
  const due = creating.filter((m) => !m.held || now - Date.parse(m.updatedAt) >= timings.heldRecheckMs);
  const byOrganizer = new Map<string, Mapping[]>();
  for (const m of due) byOrganizer.set(m.organizerEmail, [...(byOrganizer.get(m.organizerEmail) ?? []), m]);

  const admins = new Map<string, Promise<PlatformUser[]>>();
  for (const [email, intents] of byOrganizer) {
    let reading: FeedReading;
    try {
      const organizer = ctx.store.organizer(email);
      const icsPath = organizer ? await feedPathOf(ctx.platform, organizer, admins) : undefined;
      if (!icsPath) throw new Error(`the platform gives no meeting feed (icsPath) for organizer ${email}`);
      reading = await ctx.platform.readFeedEntries(icsPath);
    } catch (err) {
      haltIfPlatformWide(err);
      const what = `its creation cannot be confirmed: ${email}'s meeting feed cannot be read (${describeError(err)})`;
      ctx.logger.error(`cannot confirm ${intents.length} unfinished creation(s) for ${email}: ${describeError(err)}`);
      for (const intent of intents) settle(intent, unconfirmable(what, now - Date.parse(intent.updatedAt), { limitMs: timings.unconfirmedLimitMs, email, intent }), ctx, report);
      continue;
    }
    if (reading.problems.length > 0) ctx.logger.warn({ organizer: email, problems: reading.problems.length, first: reading.problems[0] }, "entries of the organizer's meeting feed could not be read; the others are used");
    learnFromFeed(ctx.store, email, reading.meetings, intents, ctx.now());
    const feed = reading.meetings;
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
            ctx.store.journal([callEntry(intent, 'feed check', 'found', adopted.updatedAt, {
              detail: `meeting ${found.meetingNumber ?? found.meetingId} found in ${email}'s meeting feed by meetsync's reference: the earlier POST made it; adopted, nothing posted again`,
              meetingId: found.meetingId, meetingNumber: found.meetingNumber,
            })]);
          });
          ctx.logger.info({ event: intent.eventId, meetingId: found.meetingId }, 'unfinished creation found on the platform; adopted');
          if (source) await writeBack(adopted, execCtx);
          report.adopted.push(adopted);
          continue;
        }
        if (found) {
          const held = hold(intent, found, ctx);
          report.unresolved.push({ mapping: held, reason: held.held! });
          continue;
        }
        // The event carries meetsync's stamp of a live meeting no other record holds: the calendar
        // was written after this intent was (a database restored from a copy taken before the
        // intent's meeting was made, then replaced by untagging and tagging again: the crash
        // campaign, CRASH_SEED=594927435, and the state machine's untag-retag). That meeting is
        // adopted rather than a second one posted, whatever the feed can prove (plan.ts
        // newerStamp says the same of an active record). A stamp whose meeting is gone proves
        // nothing about this intent's own POST: the intent is then judged as ever.
        if (source && (await adoptNewerStamp(intent, email, execCtx, ctx, report))) continue;
        const verdict = judgeAbsence({ intent, email, reading, store: ctx.store, now, graceMs: timings.feedGraceMs, limitMs: timings.unconfirmedLimitMs });
        if (verdict.kind !== 'post') {
          settle(intent, verdict, ctx, report);
          continue;
        }
        // The POST never took effect. The event is read as it is now: deleted, untagged or made
        // all-day since (changes read while the creation was unconfirmed, or lost with a database
        // restored from an older copy), it gets no meeting, rather than one posted and deleted.
        const current = source ? await source.getEvent(intent.calendarId, intent.eventId) : null;
        const want: Want = current ? wantedMeeting(current, ctx.rules) : { wants: false, why: 'cancelled', reason: 'the event was cancelled or deleted' };
        if (!want.wants) {
          const dropped: Mapping = { ...intent, state: 'cancelled', updatedAt: ctx.now().toISOString() };
          delete dropped.held;
          ctx.store.transaction(() => {
            ctx.store.saveMapping(dropped);
            ctx.store.clearOccurrenceNotes(intent);
            // Why a tagged event has no meeting stays in `status`, as the plan would note it.
            if (current && want.why === 'unexpressible') {
              ctx.store.saveNote({ ...keyOfIntent(intent), kind: 'skipped', reason: want.reason, title: current.title, ...(current.start ? { start: current.start } : {}), updatedAt: ctx.now().toISOString() });
            } else ctx.store.clearNote(intent);
            ctx.store.journal([callEntry(intent, 'feed check', 'dropped', dropped.updatedAt, { detail: `not in ${email}'s meeting feed, so never made; not made now: ${want.reason}` })]);
          });
          const reason = `creation interrupted earlier and never made; not made now: ${want.reason}`;
          ctx.logger.info({ event: intent.eventId }, reason);
          report.dropped.push({ mapping: dropped, reason });
          continue;
        }
        // The POST time is recorded first: the grace above counts from this attempt.
        const attempt: Mapping = { ...intent, updatedAt: ctx.now().toISOString() };
        delete attempt.held;
        ctx.store.transaction(() => {
          ctx.store.saveMapping(attempt);
          ctx.store.journal([
            callEntry(intent, 'feed check', 'absent', attempt.updatedAt, { detail: `${email}'s meeting feed proves the earlier POST never took effect: posted again, with the same reference` }),
            callEntry(intent, 'POST /meeting', 'sent', attempt.updatedAt, { detail: `sends ${sentFields(attempt)}` }),
          ]);
        });
        const created = await createFromIntent(attempt, execCtx);
        if (source) await writeBack(created, execCtx);
        report.created.push(created);
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

/**
 * A creation that cannot be resolved this cycle. Waiting, its reason replaces whatever `status`
 * showed before (the lost answer's note): the current reason is the one that says what is going
 * on. Held, the reason lives on the mapping (status shows it) and the creation is looked at again
 * every `heldRecheckMs`.
 */
function settle(intent: Mapping, verdict: Unresolved, ctx: PendingContext, report: PendingReport): void {
  if (verdict.kind === 'hold') {
    const held: Mapping = { ...intent, held: verdict.reason, updatedAt: ctx.now().toISOString() };
    ctx.store.transaction(() => {
      ctx.store.saveMapping(held);
      ctx.store.clearNote(intent);
      ctx.store.journal([callEntry(intent, 'feed check', 'held', held.updatedAt, { detail: verdict.reason })]);
    });
    ctx.logger.warn({ event: intent.eventId }, `unfinished creation held: ${verdict.reason}`);
    report.unresolved.push({ mapping: held, reason: verdict.reason });
    return;
  }
  ctx.store.transaction(() => {
    ctx.store.saveNote({
      source: intent.source,
      calendarId: intent.calendarId,
      eventId: intent.eventId,
      kind: 'failed',
      reason: verdict.reason,
      title: intent.topic,
      start: intent.start,
      // Not retried through the cursor: resolvePending looks at the intent every cycle.
      retry: false,
      updatedAt: ctx.now().toISOString(),
    });
    ctx.store.journal([callEntry(intent, 'feed check', 'waiting', ctx.now().toISOString(), { detail: verdict.reason })]);
  });
  report.unresolved.push({ mapping: intent, reason: verdict.reason });
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
    ctx.store.journal([callEntry(intent, 'feed check', 'held', held.updatedAt, { detail: held.held!, meetingNumber: found.meetingNumber })]);
  });
  ctx.logger.warn({ event: intent.eventId, meetingNumber: found.meetingNumber }, 'unfinished creation found on the platform without its id; held');
  return held;
}

/** Adopts the live meeting the intent's event is stamped with; false when there is none to adopt. */
async function adoptNewerStamp(intent: Mapping, email: string, execCtx: Parameters<typeof execute>[1], ctx: PendingContext, report: PendingReport): Promise<boolean> {
  const organizer = ctx.store.organizer(email);
  const current = await execCtx.source.getEvent(intent.calendarId, intent.eventId);
  const want = current ? wantedMeeting(current, ctx.rules) : undefined;
  if (!current?.stamp || !want?.wants || !organizer || stampTaken(current.stamp.meetingId, intent, ctx.store)) return false;
  const result = await execute({ kind: 'adopt', event: current, organizer, stamp: current.stamp, desired: want.desired, ifGone: 'leave' }, execCtx);
  const adopted = ctx.store.mapping(intent);
  if (result.outcome.outcome !== 'adopted' || !adopted || adopted.state !== 'active') return false;
  report.adopted.push(adopted);
  return true;
}

/**
 * Another record holds this meeting (the stamp was copied with its event), or it was kept for its
 * organizer. Unlike plan()'s check of a new event's stamp (holders.ts meetingHolders), a record of
 * a calendar out of the config (dormant) counts here: this intent's own POST may have made a
 * meeting the feed does not show yet, and adopting a stamp whose meeting some other event once
 * held would leave that one an orphan. A new event has posted nothing, so there a dormant record
 * proves nothing and its stamp is adopted (a renamed source must not get second meetings).
 */
function stampTaken(meetingId: string, intent: Mapping, store: Store): boolean {
  return store.isKeptMeeting(meetingId) || store.mappingsByMeeting(meetingId).some((m) => m.source !== intent.source || m.calendarId !== intent.calendarId || m.eventId !== intent.eventId);
}

function keyOfIntent(m: Mapping): { source: string; calendarId: string; eventId: string } {
  return { source: m.source, calendarId: m.calendarId, eventId: m.eventId };
}
