import { describeError, NetworkError, PlatformError, ResponseTooLargeError, TimeoutError } from '../domain/errors.js';
import type { Organizer } from '../domain/mapping.js';
import type { MeetingPlatform, PlatformUser } from '../domain/meeting.js';
import { haltIfPlatformWide } from '../sync/failure.js';
import { feedPathOf } from '../sync/organizers.js';
import type { OrganizerFeed } from './compare.js';
import { NotIcsError, readFeedText } from '../webmeeting/feed/read.js';

/**
 * Reading one organizer's feed for the reconciliation, within limits, and saying in plain words
 * why it could not be read. The feed path carries a bearer token (it is read fresh from the
 * account admins, never stored), so no message here names the path or the URL: a report is
 * handed to whoever asks for it.
 */

/** The platform as the reconciliation uses it: the sync's port, plus the feed as raw text within limits. */
export interface ReconcilePlatform extends MeetingPlatform {
  readFeedText(icsPath: string, limits: { maxBytes: number; attempts?: number }): Promise<string>;
}

export interface FeedLimits {
  /** A feed larger than this is one finding, not read further. @default 16 MiB (about 25,000 meetings) */
  maxBytes: number;
  /** Attempts per feed; each is limited by webMeeting.timeoutMs (the body included). @default 2 */
  attempts: number;
  /** Feeds read at once. @default 4 */
  concurrency: number;
}

export const FEED_LIMITS: FeedLimits = { maxBytes: 16 * 1024 * 1024, attempts: 2, concurrency: 4 };

/** Why the feed of `email` could not be read, without its path. */
export function feedFailure(err: unknown, email: string, attempts = FEED_LIMITS.attempts): string {
  const feed = `the meeting feed of ${email}`;
  if (err instanceof NotIcsError) return `${feed} is not iCalendar (${err.message})`;
  if (err instanceof ResponseTooLargeError) return `${feed} is larger than ${Math.round(err.limitBytes / 1024 / 1024)} MiB; it was not read further`;
  if (err instanceof TimeoutError) return `${feed} did not arrive within ${err.timeoutMs} ms (tried ${attempts} time${attempts === 1 ? '' : 's'})`;
  if (err instanceof PlatformError) {
    const parts = [err.status === undefined ? undefined : `HTTP ${err.status}`, err.responseCode === undefined ? undefined : `responseCode ${err.responseCode}`].filter(Boolean);
    return `${feed} could not be read: ${parts.join(', ')}${err.responseMessage ? `: ${err.responseMessage}` : ''}`;
  }
  // "GET <path> failed: <reason>": the reason only.
  if (err instanceof NetworkError) return `${feed} could not be read: ${err.message.replace(/^\S+ \S+ failed: /, '')}`;
  return `${feed} could not be read: ${describeError(err).replace(/\/api\/v6\/meeting\/calender\/user\/\S*/gi, '(feed)')}`;
}

/**
 * The feed of `organizer`, read and parsed, or why not. A failure that concerns the platform as
 * a whole (the API key refused on the admin lookup) is thrown: the reconciliation itself fails.
 */
export async function fetchOrganizerFeed(
  platform: ReconcilePlatform,
  organizer: Organizer,
  admins: Map<string, Promise<PlatformUser[]>>,
  limits: FeedLimits,
): Promise<OrganizerFeed> {
  let icsPath: string | undefined;
  try {
    icsPath = await feedPathOf(platform, organizer, admins);
  } catch (err) {
    haltIfPlatformWide(err);
    return { ok: false, error: `the account of ${organizer.email} could not be read (${describeError(err)}), so neither could its meeting feed` };
  }
  if (!icsPath) return { ok: false, error: `the platform gives no meeting feed (icsPath) for ${organizer.email}` };
  try {
    const text = await platform.readFeedText(icsPath, { maxBytes: limits.maxBytes, attempts: limits.attempts });
    return { ok: true, read: readFeedText(text) };
  } catch (err) {
    return { ok: false, error: feedFailure(err, organizer.email, limits.attempts) };
  }
}

/** Runs `work` over `items`, at most `limit` at once, results in order. */
export async function inPool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
