import type { EventOutcome, SyncAction } from '../domain/action.js';
import { describeError, type PlatformError } from '../domain/errors.js';
import type { Organizer } from '../domain/mapping.js';
import type { MeetingPlatform, PlatformUser } from '../domain/meeting.js';
import type { Logger } from '../log.js';
import type { JournalEntry } from '../domain/journal.js';
import type { Store } from '../store/store.js';
import type { RetryPolicy } from '../domain/attention.js';
import { retriesAfterFailure } from './retries.js';
import { haltIfPlatformWide, mayBeOrganizerRefusal, PlatformHaltError } from './failure.js';

/** The organizer a call is made in the name of (X-USER-ID), as the mapping or the planner knows them. */
export interface ActingOrganizer {
  userId: string;
  email: string;
}

export interface OrganizerRefusalsDeps {
  platform: MeetingPlatform;
  /** The organizers the store knows: which account a refused user is in. */
  organizers: () => readonly Organizer[];
  /** Configured accounts: checked when the refused user's own account is not known. */
  accountIds: readonly string[];
  /** Accounts' users as listed this cycle, shared with the feed look-ups (one listing per account a cycle). */
  accountUsers: Map<string, Promise<PlatformUser[]>>;
}

/**
 * Failures carry a scope (issue 15): a 403 / -3 on a call in one organizer's name is the platform
 * refusing meetsync's key, or refusing that one user (IT removed them, or took their permission).
 * One call in no user's name, GET /account/admin/<account> (the listing refreshOrganizers uses),
 * tells which: when it succeeds the key works and the refusal is the organizer's. That organizer's
 * events are then held with a note naming them (the engine re-checks held events every cycle, so
 * the change is applied once the user is back), the organizer is asked nothing more this cycle,
 * and every other organizer and calendar goes on. When the check fails too, or when two organizers
 * are refused while no call in anyone's name has worked this cycle ("every organizer refused": a
 * key without the Meeting permission), it is the platform's: PlatformHaltError, as before.
 * One instance per cycle: a user restored between cycles is tried again in the next.
 */
export class OrganizerRefusals {
  private readonly refused = new Map<string, string>();
  private anyWorked = false;

  constructor(private readonly deps: OrganizerRefusalsDeps) {}

  /** Why `userId` was refused earlier this cycle; undefined when not (or no user). */
  reasonFor(userId: string | undefined): string | undefined {
    return userId === undefined ? undefined : this.refused.get(userId);
  }

  /** A change was applied in some organizer's name this cycle: the key can act for organizers. */
  worked(): void {
    this.anyWorked = true;
  }

  /**
   * Judges a refusal of a call in `who`'s name. Returns the reason to show for that organizer's
   * events, or throws PlatformHaltError when the platform refuses meetsync as a whole.
   */
  async judge(err: PlatformError, who: ActingOrganizer): Promise<string> {
    if (!mayBeOrganizerRefusal(err)) throw new PlatformHaltError(err);
    const known = this.refused.get(who.userId);
    if (known) return known;
    if (this.refused.size > 0 && !this.anyWorked) throw new PlatformHaltError(err);
    const accountId = this.deps.organizers().find((o) => o.userId === who.userId)?.accountId ?? this.deps.accountIds[0];
    if (accountId === undefined) throw new PlatformHaltError(err);
    let users: PlatformUser[];
    try {
      users = await this.listUsers(accountId);
    } catch (check) {
      // The check was refused too (a 401 is the key's), or did not answer: nothing says the key works.
      haltIfPlatformWide(check);
      throw new PlatformHaltError(err);
    }
    const listed = users.some((u) => u.id === who.userId);
    const what = listed
      ? 'their platform user is still listed but may not hold meetings any more (its permission was taken, or meetsync\'s API key lacks the Meeting permission)'
      : 'their platform user was removed';
    const reason =
      `held: the platform refused to act as organizer ${who.email} (user ${who.userId}: ${describeError(err)}), while it accepts meetsync's API key for account ${accountId}; ` +
      `${what}. Ask IT to restore it, or remove the tag from the event: the change is applied once the user is back (tried every cycle)`;
    this.refused.set(who.userId, reason);
    return reason;
  }

  private listUsers(accountId: string): Promise<PlatformUser[]> {
    let users = this.deps.accountUsers.get(accountId);
    if (!users) {
      users = this.deps.platform.listAccountAdmins(accountId);
      // Awaited by the caller; kept from being an unhandled rejection while it sits in the map.
      users.catch(() => undefined);
      this.deps.accountUsers.set(accountId, users);
    }
    return users;
  }
}

/** Whose name (X-USER-ID) the action calls the platform in; undefined when it makes no call. */
export function actingOrganizer(action: SyncAction): ActingOrganizer | undefined {
  switch (action.kind) {
    case 'create':
    case 'adopt':
      return { userId: action.organizer.userId, email: action.organizer.email };
    case 'update':
      return { userId: action.mapping.userId, email: action.mapping.organizerEmail };
    case 'cancel':
      return action.mode === 'delete' && action.mapping.meetingId ? { userId: action.mapping.userId, email: action.mapping.organizerEmail } : undefined;
    default:
      return undefined;
  }
}

/**
 * The platform refuses the event's organizer (not meetsync): the action is not applied, the
 * event is noted with why and re-checked every cycle as it is then (engine recheckNotes), so
 * the calendar's cursor may move on without losing the change. Counted as failed, scoped to the
 * organizer: the cycle, its health and the other organizers go on.
 */
export function heldForOrganizer(
  action: SyncAction, reason: string, ctx: { store: Store; logger: Logger; now: () => Date; retry?: RetryPolicy }, journal: readonly JournalEntry[] = [],
): { outcome: EventOutcome; retry: boolean } {
  const event = action.event;
  const title = event.title || ('mapping' in action ? action.mapping.topic : '');
  ctx.logger.warn({ event: event.eventId, action: action.kind }, reason);
  ctx.store.transaction(() => {
    ctx.store.journal(journal);
    ctx.store.saveNote({
      source: event.source,
      calendarId: event.calendarId,
      eventId: event.eventId,
      kind: 'failed',
      reason,
      title,
      ...(event.start ? { start: event.start } : 'mapping' in action ? { start: action.mapping.start } : {}),
      retry: true,
      tries: retriesAfterFailure(event, ctx),
      updatedAt: ctx.now().toISOString(),
    });
  });
  const outcome: EventOutcome = { source: event.source, calendarId: event.calendarId, eventId: event.eventId, title, outcome: 'failed', reason, scope: 'organizer' };
  return { outcome, retry: false };
}
