import type { Config } from '../config/schema.js';
import { describeError, MalformedResponseError, NetworkError, PlatformError, TimeoutError } from '../domain/errors.js';
import type { WebMeetingClient } from '../webmeeting/client.js';
import { fail, ok, skip, warn, type Check } from './check.js';

/**
 * Does the API key work? A read that changes nothing: the admins of the first account meetsync
 * knows (`GET /api/v6/account/admin/<id>`, the tutorial's "Retrieve the account admin"), which
 * needs the key and its Account permission. Without an account id there is nothing documented
 * to read, and the doctor says so rather than guess at an undocumented call.
 */

const SUBJECT = 'Web Meeting platform';
const KEY_REMEDY =
  'check webMeeting.apiKey (and the environment variable it names, e.g. WEBMEETING_API_KEY): it must be a current key of this platform with the Account and Meeting permissions';

export interface KnownAccount {
  id: string;
  /** Where the id comes from, for the line: `webMeeting.accountIds[0]`, `the database`. */
  from: string;
}

/** The account to read: the config's first, else one the database learned from `accounts create`. */
export function accountToRead(config: Config, known: string[]): KnownAccount | undefined {
  const first = config.webMeeting.accountIds[0];
  if (first) return { id: first, from: 'webMeeting.accountIds[0]' };
  const stored = known[0];
  return stored ? { id: stored, from: 'an organizer in the database' } : undefined;
}

export async function checkApiKey(platform: WebMeetingClient, account: KnownAccount | undefined): Promise<Check> {
  if (!account) {
    return warn(
      SUBJECT,
      'API key not checked: no account id to read (webMeeting.accountIds is empty and the database knows no organizer); the key is first used by a sync',
      "add your platform account ids to webMeeting.accountIds (or create one with 'meetsync accounts create'), then run the doctor again",
    );
  }
  const call = `GET /api/v6/account/admin/${account.id}`;
  try {
    const admins = await platform.listAccountAdmins(account.id);
    return ok(SUBJECT, `API key works: ${call} (${account.from}) answered ${admins.length} organizer${admins.length === 1 ? '' : 's'}`);
  } catch (err) {
    return explain(err, call, account);
  }
}

function explain(err: unknown, call: string, account: KnownAccount): Check {
  const said = describeError(err);
  if (err instanceof PlatformError) {
    const { status, responseCode } = err;
    if (status === 401 || status === 403 || responseCode === -1 || responseCode === -2 || responseCode === -3) {
      return fail(SUBJECT, `the platform refused the API key: ${said}`, KEY_REMEDY);
    }
    if (status !== undefined && status >= 300 && status < 400) {
      return fail(SUBJECT, `${call} was answered with a redirect (HTTP ${status}): ${said}`, 'set webMeeting.baseUrl to the address the platform serves its API on (https://, no path)');
    }
    const enveloped = responseCode !== undefined && responseCode !== 0;
    if (responseCode === -99 || (status === 404 && enveloped)) {
      return fail(SUBJECT, `the platform does not know account ${account.id} (${account.from}): ${said}`, `check the account id in ${account.from}`);
    }
    if (status === 404) {
      return fail(SUBJECT, `${call} answered 404 without the platform's envelope: webMeeting.baseUrl does not point at the Web Meeting API`, 'set webMeeting.baseUrl to the origin of the platform (the API is under /api/v6)');
    }
    return fail(SUBJECT, `${call} failed: ${said}`, 'try again; if it persists, ask the platform operator what the answer means');
  }
  if (err instanceof MalformedResponseError) {
    return fail(SUBJECT, said, 'check webMeeting.baseUrl: the answer is not the Web Meeting API v6 shape');
  }
  if (err instanceof NetworkError || err instanceof TimeoutError) {
    return fail(SUBJECT, said, 'check webMeeting.baseUrl and that the platform is up and reachable from this machine');
  }
  return fail(SUBJECT, `${call} failed: ${said}`, 'run again with MEETSYNC_DEBUG=1 and report it');
}

/** Compares this machine's clock with a server's Date header; Date has whole seconds. */
export function checkClock(date: { serverMs: number; localMs: number } | undefined, whose: string): Check {
  if (!date) return skip('clock', `not checked: no answer with a Date header from ${whose}`);
  // Date has whole seconds, cut down: a clock in step reads up to a second ahead of it.
  const skewS = Math.round((date.localMs - date.serverMs - 500) / 1000);
  const words = Math.abs(skewS) <= 1 ? 'within a second of' : `${Math.abs(skewS)} s ${skewS > 0 ? 'ahead of' : 'behind'}`;
  if (Math.abs(skewS) > 120) {
    return warn(
      'clock',
      `this machine is ${words} ${whose}`,
      'enable time synchronisation (timedatectl set-ntp true, or chrony): Google and Microsoft refuse tokens from a clock minutes off, and meeting times are computed with it',
    );
  }
  return ok('clock', `this machine is ${words} ${whose}`);
}
