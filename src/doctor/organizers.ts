import type { Config } from '../config/schema.js';
import { describeError } from '../domain/errors.js';
import type { MeetingPlatform } from '../domain/meeting.js';
import { ok, warn, type Check } from './check.js';
import type { KnownAccount } from './platform.js';

/**
 * How many organizers each account lists (`GET /api/v6/account/admin/<id>`): meetsync finds an
 * event's organizer only among them. The tutorial reads "the first Meeting Organizer" of an
 * account there, so a platform may list no other (webmeeting/assumptions.ts, the admin list): an
 * organizer added to a listed account is then not seen, and the count here is where IT sees it.
 */

const SUBJECT = 'organizers';

/** Every account meetsync reads organizers from: the config's, then those only the database knows. */
export function accountsToList(config: Config, known: readonly string[]): KnownAccount[] {
  const configured = config.webMeeting.accountIds.map((id, i) => ({ id, from: `webMeeting.accountIds[${i}]` }));
  const seen = new Set(config.webMeeting.accountIds);
  return [...configured, ...known.filter((id) => !seen.has(id)).map((id) => ({ id, from: 'an organizer in the database' }))];
}

/** One line per account: how many organizers it lists, or why it could not be read. Reads only. */
export async function checkAccountOrganizers(platform: Pick<MeetingPlatform, 'listAccountAdmins'>, accounts: readonly KnownAccount[]): Promise<Check[]> {
  const checks: Check[] = [];
  for (const account of accounts) {
    try {
      const users = await platform.listAccountAdmins(account.id);
      const names = users.length <= 3 ? `: ${users.map((u) => u.email).join(', ')}` : '';
      checks.push(ok(SUBJECT, `account ${account.id} (${account.from}) lists ${users.length} organizer${users.length === 1 ? '' : 's'}${names}`));
    } catch (err) {
      checks.push(
        warn(
          SUBJECT,
          `account ${account.id} (${account.from}) could not be read: ${describeError(err)}`,
          `check the account id in ${account.from}; its organizers get no meetings until it can be read`,
        ),
      );
    }
  }
  return checks;
}
