import { describeError, PlatformError } from '../domain/errors.js';
import type { CalendarEvent } from '../domain/event.js';
import type { Organizer } from '../domain/mapping.js';
import type { MeetingPlatform } from '../domain/meeting.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { haltIfPlatformWide } from './failure.js';
import { provisionOrganizer, refreshOrganizers, type ProvisioningSettings } from './organizers.js';
import { organizersFromStamps } from './stamped-organizers.js';

import { ORGANIZER_RECHECK_MS, ORGANIZERS_CHECKED_AT } from './organizer-checks.js';
/**
 * engine_state row prefix: when provisioning an organizer was answered -10 "account exists"
 * (ISO). The email has a platform account meetsync does not know; asking again every cycle would
 * only repeat the refusal (issue 15, finding 6), so it is asked again a day later.
 */
const ACCOUNT_EXISTS = 'account_exists:';
const ACCOUNT_EXISTS_RETRY_MS = 24 * 3_600_000;
/** The v1 code for "account already exists" (WEB-MEETING-API.md; ASSUMED kept by v6). */
const ACCOUNT_EXISTS_CODE = -10;

export interface CycleOrganizersDeps {
  store: Store;
  platform: MeetingPlatform;
  logger: Logger;
  accountIds: readonly string[];
  provisioning: ProvisioningSettings & { enabled: boolean };
  now: () => Date;
  /** A dry run asks the platform but stores nothing and provisions no one. */
  dryRun: boolean;
  /** Where a problem outside any one calendar is reported (the cycle report's `problems`). */
  problems: string[];
}

/**
 * The organizers one sync cycle knows: those stored, read once a cycle, and those the platform
 * is asked for (at most once a cycle, and, for events that already wait for their organizer, at
 * most every 15 minutes across processes), provisioned when enabled.
 */
export class CycleOrganizers {
  private asked = false;
  private cached: Map<string, Organizer> | undefined;
  /** Organizers read from the platform during a dry run, which stores nothing. */
  private readonly unsaved = new Map<string, Organizer>();

  constructor(private readonly deps: CycleOrganizersDeps) {}

  /** Known organizers by lower-cased email, read from the store once and again only after a look-up changed them. */
  known(): Map<string, Organizer> {
    this.cached ??= new Map<string, Organizer>([...this.unsaved, ...this.deps.store.organizers().map((o): [string, Organizer] => [o.email, o])]);
    return this.cached;
  }

  /** True when the platform was asked for organizers less than 15 minutes ago (by any process). */
  checkedRecently(): boolean {
    const at = this.deps.store.engineState(ORGANIZERS_CHECKED_AT);
    return at !== undefined && this.deps.now().getTime() - Date.parse(at) < ORGANIZER_RECHECK_MS;
  }

  /**
   * True when an event of one of `organizers` is new or changed since it was noted as waiting for
   * its organizer. The same events read again (a cursor held back) are not worth asking again.
   */
  changedSinceNoted(events: readonly CalendarEvent[], organizers: readonly string[]): boolean {
    const wanted = new Set(organizers);
    return events.some((e) => {
      if (!e.organizerEmail || !wanted.has(e.organizerEmail.toLowerCase())) return false;
      const note = this.deps.store.note(e);
      return !note || note.awaitingOrganizer === undefined || note.title !== e.title || note.start !== e.start;
    });
  }

  /**
   * Looks unknown organizers up on the platform (at most once a cycle), and provisions them when
   * enabled. An account that cannot be read, or a provisioning that fails, is reported; the
   * cycle goes on. The time of the look-up is kept in the database, so that processes started
   * one by one (cron) do not each ask again.
   */
  async ensure(emails: readonly string[], events: readonly CalendarEvent[] = []): Promise<void> {
    const { store, logger, platform, provisioning, dryRun, now } = this.deps;
    if (!this.asked) {
      this.asked = true;
      this.cached = undefined;
      if (!dryRun) store.setEngineState(ORGANIZERS_CHECKED_AT, now().toISOString());
      const { organizers, failures } = await refreshOrganizers(platform, store, this.deps.accountIds, now(), { save: !dryRun });
      if (dryRun) organizers.forEach((o) => this.unsaved.set(o.email, o));
      for (const f of failures) this.problem(`account ${f.accountId} could not be read: ${f.error}`);
    }
    await this.findFromStamps(emails, events);
    if (!provisioning.enabled || dryRun) return;
    for (const email of emails) {
      if (store.organizer(email)) continue;
      const refusedAt = store.engineState(`${ACCOUNT_EXISTS}${email}`);
      if (refusedAt !== undefined && now().getTime() - Date.parse(refusedAt) < ACCOUNT_EXISTS_RETRY_MS) {
        this.problem(accountExistsText(email, refusedAt));
        continue;
      }
      try {
        const o = await provisionOrganizer(platform, store, email, provisioning, now());
        this.cached = undefined;
        logger.info({ organizer: o.email, accountId: o.accountId }, 'platform account created for organizer');
      } catch (err) {
        haltIfPlatformWide(err);
        if (err instanceof PlatformError && err.responseCode === ACCOUNT_EXISTS_CODE) {
          store.setEngineState(`${ACCOUNT_EXISTS}${email}`, now().toISOString());
          this.problem(accountExistsText(email, now().toISOString()));
        } else {
          this.problem(`could not create a platform account for ${email}: ${describeError(err)}`);
        }
      }
    }
  }

  /**
   * Organizers still unknown whose own events carry a stamp naming their platform user: found
   * by listing the stamped account (stamped-organizers.ts), so that a lost database adopts their
   * meetings, and POST /account is not sent for an email the platform already has.
   */
  private async findFromStamps(emails: readonly string[], events: readonly CalendarEvent[]): Promise<void> {
    const { store, logger, platform, dryRun, now } = this.deps;
    const unknown = emails.filter((e) => !this.known().has(e));
    if (unknown.length === 0 || events.length === 0) return;
    const { organizers, failures } = await organizersFromStamps(platform, events, unknown, now());
    for (const f of failures) this.problem(`account ${f.accountId}, named by the stamp of an event, could not be read: ${f.error}`);
    if (organizers.length === 0) return;
    if (dryRun) organizers.forEach((o) => this.unsaved.set(o.email, o));
    else store.transaction(() => organizers.forEach((o) => store.upsertOrganizer(o)));
    this.cached = undefined;
    for (const o of organizers) logger.info({ organizer: o.email, accountId: o.accountId }, "organizer found again from the stamp of their event (an account meetsync's database did not know)");
  }

  private problem(text: string): void {
    // Said once a cycle, however many calendars ask for the same organizer.
    if (this.deps.problems.includes(text)) return;
    this.deps.logger.error(text);
    this.deps.problems.push(text);
  }
}

/** When provisioning `email` was last answered "account already exists", within the day it is not asked again. */
export function accountExistsSince(store: Store, email: string): string | undefined {
  return store.engineState(`${ACCOUNT_EXISTS}${email}`);
}

/** What `status` says while an organizer's provisioning is refused because the account exists. */
function accountExistsText(email: string, at: string): string {
  return (
    `could not create a platform account for ${email}: the platform answered "account already exists" (responseCode -10, ${at}): it already has an account for this email that meetsync does not know. ` +
    `Add that account's id to webMeeting.accountIds (the platform's administration shows it): the organizer's events get their meetings within 15 minutes. meetsync tries to create the account again a day later`
  );
}
