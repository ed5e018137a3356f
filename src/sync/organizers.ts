import type { Organizer } from '../domain/mapping.js';
import type { MeetingPlatform, PlatformUser } from '../domain/meeting.js';
import type { Store } from '../store/store.js';
import { describeError } from '../domain/errors.js';
import { haltIfPlatformWide } from './failure.js';

/** The organizer a platform user is, as meetsync keeps it (no feed token: a secret, never stored). */
export function toOrganizer(user: PlatformUser, at: Date): Organizer {
  return {
    email: user.email.toLowerCase(),
    accountId: user.accountId,
    userId: user.id,
    firstName: user.firstName,
    lastName: user.lastName,
    ...(user.timezone ? { timezone: user.timezone } : {}),
    hasFeed: Boolean(user.icsPath),
    refreshedAt: at.toISOString(),
  };
}

export interface OrganizerRefresh {
  organizers: Organizer[];
  /** Accounts that could not be read (deleted, an outage outlasting the retries), with why. */
  failures: Array<{ accountId: string; error: string }>;
}

/**
 * Re-reads the admins (GET /api/v6/account/admin/<id>) of the configured accounts and of the
 * accounts meetsync already knows (created with `accounts create` or provisioning) into the
 * store. An organizer missing from an answer is kept: a read never deletes. An account that
 * cannot be read is reported and the others are read; a platform that refuses meetsync's key
 * ends the refresh (PlatformHaltError).
 */
export async function refreshOrganizers(
  platform: MeetingPlatform,
  store: Store,
  accountIds: readonly string[],
  at: Date,
  options: { save: boolean } = { save: true },
): Promise<OrganizerRefresh> {
  const found: Organizer[] = [];
  const failures: OrganizerRefresh['failures'] = [];
  const accounts = new Set([...accountIds, ...store.organizers().map((o) => o.accountId)]);
  for (const accountId of accounts) {
    try {
      const users = await platform.listAccountAdmins(accountId);
      for (const user of users) found.push(toOrganizer(user, at));
    } catch (err) {
      haltIfPlatformWide(err);
      failures.push({ accountId, error: describeError(err) });
    }
  }
  if (options.save) store.transaction(() => found.forEach((o) => store.upsertOrganizer(o)));
  return { organizers: found, failures };
}

export interface ProvisioningSettings {
  accountType: string;
  preferredLanguage: string;
  sendPassword: boolean;
  paidUntil: string;
}

/**
 * Creates a platform account whose first organizer is `email` (POST /api/v6/account), then
 * looks the organizer up to learn their user id. The calendar gives no reliable name, so the
 * email's local part stands in for the first name until the person edits their profile.
 */
export async function provisionOrganizer(
  platform: MeetingPlatform,
  store: Store,
  email: string,
  settings: ProvisioningSettings,
  at: Date,
  names?: { firstName: string; lastName: string },
): Promise<Organizer> {
  const local = email.split('@')[0] ?? email;
  const account = await platform.createAccount({
    adminEmail: email,
    adminFirstname: names?.firstName ?? local,
    adminLastname: names?.lastName ?? (email.split('@')[1] ?? 'meetsync'),
    accountType: settings.accountType,
    adminPreferredLanguage: settings.preferredLanguage,
    sendPassword: settings.sendPassword,
    paidUntil: settings.paidUntil,
  });
  const users = await platform.listAccountAdmins(account.id);
  const user = users.find((u) => u.email.toLowerCase() === email.toLowerCase()) ?? users[0];
  if (!user) throw new Error(`account ${account.id} was created but lists no organizer`);
  const organizer = toOrganizer({ ...user, accountId: account.id }, at);
  store.upsertOrganizer(organizer);
  return organizer;
}

/**
 * The organizer's feed path, read fresh from the platform (it carries a token and is never
 * stored). `admins` shares one read of an account among its organizers.
 */
export async function feedPathOf(
  platform: MeetingPlatform,
  organizer: Organizer,
  admins: Map<string, Promise<PlatformUser[]>> = new Map(),
): Promise<string | undefined> {
  if (!admins.has(organizer.accountId)) admins.set(organizer.accountId, platform.listAccountAdmins(organizer.accountId));
  const users = await admins.get(organizer.accountId)!;
  return users.find((u) => u.id === organizer.userId || u.email.toLowerCase() === organizer.email)?.icsPath;
}
