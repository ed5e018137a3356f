import { describeError } from '../domain/errors.js';
import type { Mapping } from '../domain/mapping.js';
import type { MeetingPlatform, PlatformUser } from '../domain/meeting.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { noteToRecheck } from './execute.js';
import { haltIfPlatformWide } from './failure.js';
import { feedPathOf } from './organizers.js';

/**
 * A database restored from an older copy (store/generation.ts) records what the platform held
 * then. An event moved after the copy and moved back before the restore looks unchanged against
 * its record, while its meeting stayed where the move put it (found by the crash campaign,
 * CRASH_SEED=866501079). So before anything else, each organizer's feed is compared with the
 * records: a meeting whose times or topic differ from its record is marked unconfirmed
 * (`updatingSince`), and the event's wanted state is sent again when it is read (the re-read from
 * the restored cursor reads every event changed since the copy). Nothing is sent here, and a
 * meeting the feed does not show is left to the cycle and to `meetsync reconcile`.
 * Returns how many were marked, or undefined when a feed could not be read (checked again next cycle).
 */
export async function markDriftAfterRestore(ctx: {
  store: Store;
  platform: MeetingPlatform;
  listed: (m: Mapping) => boolean;
  now: () => Date;
  logger: Logger;
}): Promise<number | undefined> {
  const active = ctx.store.mappings({ state: 'active' }).filter((m) => m.meetingId && ctx.listed(m));
  const byOrganizer = new Map<string, Mapping[]>();
  for (const m of active) byOrganizer.set(m.organizerEmail, [...(byOrganizer.get(m.organizerEmail) ?? []), m]);
  const admins = new Map<string, Promise<PlatformUser[]>>();
  let marked = 0;
  let complete = true;
  for (const [email, mappings] of byOrganizer) {
    try {
      const organizer = ctx.store.organizer(email);
      const icsPath = organizer ? await feedPathOf(ctx.platform, organizer, admins) : undefined;
      if (!icsPath) continue;
      const { meetings } = await ctx.platform.readFeedEntries(icsPath);
      for (const m of mappings) {
        const shown = meetings.find((f) => (f.meetingId && f.meetingId === m.meetingId) || (f.meetingNumber && f.meetingNumber === m.meetingNumber));
        if (!shown?.start || !shown.end) continue;
        const same = Date.parse(shown.start) === Date.parse(m.start) && Date.parse(shown.end) === Date.parse(m.end) && shown.summary === m.topic;
        if (same || m.updatingSince) continue;
        const unconfirmed: Mapping = { ...m, updatingSince: ctx.now().toISOString() };
        ctx.store.saveMapping(unconfirmed);
        // Looked at again as it is now, also if the re-read does not bring it.
        noteToRecheck(unconfirmed, `the database was restored from an older copy and this meeting differs from its record (the platform shows ${shown.start}); it is brought in step with the event`, ctx);
        marked += 1;
      }
    } catch (err) {
      haltIfPlatformWide(err);
      complete = false;
      ctx.logger.warn({ organizer: email }, `the database is older than the last one meetsync wrote (restored?), and ${email}'s meeting feed could not be read to compare: ${describeError(err)}; tried again next cycle`);
    }
  }
  if (marked > 0) ctx.logger.warn({ marked }, `the database is older than the last one meetsync wrote (restored from a copy?): ${marked} meeting(s) differ from their records and are brought in step with their events`);
  return complete ? marked : undefined;
}
