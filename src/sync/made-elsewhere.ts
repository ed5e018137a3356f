import type { SyncAction } from '../domain/action.js';
import { describeError } from '../domain/errors.js';
import type { FeedMeeting, FeedReading, MeetingPlatform, PlatformUser } from '../domain/meeting.js';
import type { Logger } from '../log.js';
import { haltIfPlatformWide } from './failure.js';
import { markerPrefixOf, referencesIn } from './markers.js';
import { feedPathOf } from './organizers.js';

/**
 * Before an instance of several (docs/scaling.md) creates meetings: a calendar it took over may
 * come with a meeting another instance made for one of its events while the event has no link
 * yet (the creation's answer was lost, or the write-back had not happened when the calendar
 * moved). Such a meeting carries the event's reference in its marker
 * (markers.ts), so each organizer's feed is read once, and a creation whose meeting is found
 * there becomes an adoption. Found by number only (assumption 8), it is left as it is: nothing
 * is created, and the reason says what to do. A feed that cannot be read stops the calendar (or
 * the re-checked event) for this cycle: nothing is created without the check. A feed with
 * unreadable entries is used for what it shows; a creation not found in it waits (one of those
 * entries could be its meeting), the others go on. An organizer the
 * platform gives no feed is created for as before.
 */
export async function adoptMadeElsewhere(
  actions: SyncAction[],
  platform: MeetingPlatform,
  logger: Logger,
  /** Each account's users (with their feeds), read once a cycle whatever the number of calendars. */
  admins: Map<string, Promise<PlatformUser[]>>,
  /**
   * True for a meeting a record here names, in any state: not made elsewhere. A meeting kept for
   * its organizer (onEventCancelled: keep) carries the event's reference too, and is theirs: the
   * event tagged again gets a new meeting, as the README promises (issue 15, finding 12).
   */
  recorded: (meeting: Pick<FeedMeeting, 'meetingId' | 'meetingNumber'>) => boolean = () => false,
): Promise<SyncAction[]> {
  const creations = actions.filter((a): a is Extract<SyncAction, { kind: 'create' }> => a.kind === 'create');
  if (creations.length === 0) return actions;
  const feeds = new Map<string, FeedReading | undefined>();
  for (const { organizer } of creations) {
    if (feeds.has(organizer.email)) continue;
    try {
      const icsPath = await feedPathOf(platform, organizer, admins);
      feeds.set(organizer.email, icsPath ? await platform.readFeedEntries(icsPath) : undefined);
    } catch (err) {
      haltIfPlatformWide(err);
      throw new Error(`cannot read ${organizer.email}'s meeting feed to check for meetings made before by another meetsync instance (nothing was created; tried again next cycle): ${describeError(err)}`, { cause: err });
    }
  }
  return actions.map((action): SyncAction => {
    if (action.kind !== 'create') return action;
    const prefix = markerPrefixOf(action.event);
    const reading = feeds.get(action.organizer.email);
    const found = reading?.meetings.find((f) => f.description.includes(prefix) && !recorded(f));
    if (!found && reading && reading.problems.length > 0) {
      // An unreadable entry could be this event's meeting: this creation waits, the others go on.
      return {
        kind: 'skip',
        event: action.event,
        reason:
          `not created yet: ${reading.problems.length} entr${reading.problems.length === 1 ? 'y' : 'ies'} of ${action.organizer.email}'s meeting feed could not be read ` +
          `(${reading.problems[0]}), and a meeting made before for this event may be one of them; looked at again next cycle`,
      };
    }
    if (!found) return action;
    if (found.meetingId) {
      logger.info({ event: action.event.eventId, meetingId: found.meetingId }, "meeting made before for this event found in the organizer's feed; adopting it");
      const stamp = { meetingId: found.meetingId, ...(found.meetingNumber ? { meetingNumber: found.meetingNumber } : {}) };
      const reference = referencesIn(found.description).find((r) => r.startsWith(prefix));
      return { kind: 'adopt', event: action.event, organizer: action.organizer, stamp, desired: action.desired, foundInFeed: true, ...(reference ? { reference } : {}) };
    }
    const number = found.meetingNumber ?? found.uid;
    return {
      kind: 'skip',
      event: action.event,
      reason:
        `meeting ${number} was made for this event before (found in the organizer's feed by its reference), but the feed gives no meeting id ` +
        `to adopt it by; meetsync will not create a second one. Delete meeting ${number} on the platform to have it created again`,
    };
  });
}
