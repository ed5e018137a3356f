import { describeError } from '../domain/errors.js';
import type { Mapping } from '../domain/mapping.js';
import type { CalendarSource } from '../calendars/source.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { MeetingPlatform, PlatformUser } from '../domain/meeting.js';
import { createFromIntent, writeBack, type MeetingDefaults } from './execute.js';
import { feedPathOf } from './organizers.js';

export interface PendingContext {
  store: Store;
  platform: MeetingPlatform;
  sources: ReadonlyMap<string, CalendarSource>;
  defaults: MeetingDefaults;
  now: () => Date;
  logger: Logger;
}

export interface PendingReport {
  adopted: Mapping[];
  created: Mapping[];
  unresolved: Array<{ mapping: Mapping; reason: string }>;
}

/**
 * Finishes creations that a crash or a lost answer left unconfirmed ('creating' mappings), before
 * the cycle creates anything new. The organizer's meeting feed is searched for the intent's
 * marker: found, the meeting is adopted; absent, it never reached the platform and is created now
 * with the same marker. A feed that cannot be read leaves the intent as it is: creating again
 * without that proof could make a duplicate.
 */
export async function resolvePending(ctx: PendingContext): Promise<PendingReport> {
  const report: PendingReport = { adopted: [], created: [], unresolved: [] };
  const pending = ctx.store.mappings({ state: 'creating' });
  const byOrganizer = new Map<string, Mapping[]>();
  for (const m of pending) byOrganizer.set(m.organizerEmail, [...(byOrganizer.get(m.organizerEmail) ?? []), m]);

  const admins = new Map<string, Promise<PlatformUser[]>>();
  for (const [email, intents] of byOrganizer) {
    const organizer = ctx.store.organizer(email);
    let feed;
    try {
      const icsPath = organizer ? await feedPathOf(ctx.platform, organizer, admins) : undefined;
      if (!icsPath) throw new Error(`the platform gives no meeting feed (icsPath) for organizer ${email}`);
      feed = await ctx.platform.readFeed(icsPath);
    } catch (err) {
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
          ctx.store.saveMapping(adopted);
          ctx.logger.info({ event: intent.eventId, meetingId: found.meetingId }, 'unfinished creation found on the platform; adopted');
          if (source) await writeBack(adopted, execCtx);
          report.adopted.push(adopted);
        } else {
          const created = await createFromIntent(intent, execCtx);
          if (source) await writeBack(created, execCtx);
          report.created.push(created);
        }
      } catch (err) {
        report.unresolved.push({ mapping: intent, reason: describeError(err) });
      }
    }
  }
  return report;
}
