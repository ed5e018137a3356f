import { describeError, PlatformError } from '../domain/errors.js';
import type { CalendarEvent } from '../domain/event.js';
import type { Organizer } from '../domain/mapping.js';
import type { MeetingPlatform } from '../domain/meeting.js';
import { haltIfPlatformWide, mayBeOrganizerRefusal } from './failure.js';
import { toOrganizer } from './organizers.js';

/**
 * Organizers found again from the stamps of their own events (issue 15, finding 6).
 *
 * The stamp meetsync writes into the organizer's copy of an event carries the organizer's
 * platform user id and account id (MeetingStamp). When the database is lost or restored from a
 * backup older than the organizer, an organizer that provisioning created is in no configured
 * account: refreshOrganizers cannot find them, provisioning again gets -10 "account exists"
 * (an email exists once per instance: WEB-MEETING-API.md), and plan() adopts nothing without a
 * known organizer. The stamp names the account to list instead.
 *
 * Why a stamp is trusted this far, and no further:
 * - only the organizer's copy is read for it: meetsync writes the stamp there and nowhere else,
 *   and an attendee cannot write the organizer's copy (Google's private extended properties and
 *   Graph's extended properties belong to one copy);
 * - the account is listed with GET /api/v6/account/admin/<accountId> (the tutorial's call, in no
 *   user's name), and the user is taken only when that listing holds the stamped user id WITH the
 *   event's own organizer email. A stamp edited by hand can therefore lead only to the platform
 *   user of the event's own organizer: the one provisioning would have made for them anyway.
 * A stamp written before issue 15 carries neither id and finds nobody: such an organizer is
 * looked up as before (configured accounts, then provisioning).
 */
export interface StampedOrganizers {
  organizers: Organizer[];
  /** Accounts named by stamps that could not be read, with why. */
  failures: Array<{ accountId: string; error: string }>;
}

/** The account and user a stamp of an organizer copy names, per lower-cased organizer email. */
export function stampedUsers(events: readonly CalendarEvent[], emails: readonly string[]): Map<string, Array<{ accountId: string; userId: string }>> {
  const wanted = new Set(emails);
  const found = new Map<string, Array<{ accountId: string; userId: string }>>();
  for (const e of events) {
    const email = e.organizerEmail?.toLowerCase();
    const { stamp } = e;
    if (!email || !wanted.has(email) || !e.isOrganizerCopy || !stamp?.userId || !stamp.accountId) continue;
    const list = found.get(email) ?? [];
    if (!list.some((s) => s.accountId === stamp.accountId && s.userId === stamp.userId)) list.push({ accountId: stamp.accountId, userId: stamp.userId });
    found.set(email, list);
  }
  return found;
}

/**
 * Looks up, on the platform, the organizers of `emails` that the stamps of their own events in
 * `events` name: one account listing per account named. A platform that refuses meetsync's key
 * (401, -1, -2) ends it (PlatformHaltError); an account that cannot be read or is not allowed is
 * reported and the others go on.
 */
export async function organizersFromStamps(
  platform: MeetingPlatform,
  events: readonly CalendarEvent[],
  emails: readonly string[],
  at: Date,
): Promise<StampedOrganizers> {
  const wanted = stampedUsers(events, emails);
  const accounts = new Set([...wanted.values()].flat().map((s) => s.accountId));
  const result: StampedOrganizers = { organizers: [], failures: [] };
  for (const accountId of accounts) {
    let users;
    try {
      users = await platform.listAccountAdmins(accountId);
    } catch (err) {
      // The account is the stamp's word, and a stamp can be edited: "not allowed" (403 / -3) for
      // it is that account's alone, never the key's (which the configured accounts' listing tells),
      // so that one edited event cannot stop every calendar.
      if (!(err instanceof PlatformError && mayBeOrganizerRefusal(err))) haltIfPlatformWide(err);
      result.failures.push({ accountId, error: describeError(err) });
      continue;
    }
    for (const [email, stamps] of wanted) {
      if (result.organizers.some((o) => o.email === email)) continue;
      const user = users.find((u) => u.email.toLowerCase() === email && stamps.some((s) => s.accountId === accountId && s.userId === u.id));
      if (!user) continue;
      result.organizers.push({ ...toOrganizer(user, at), email, accountId });
    }
  }
  return result;
}
