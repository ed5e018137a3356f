import { registerSecret } from '../../domain/redact.js';
import { FEED_SENDS_API_KEY, icsTokensOfPath } from '../assumptions.js';
import { platformFailure, type ApiRequest, type HttpCore } from '../http.js';

/**
 * `GET <icsPath>`: a user's meeting feed as text, the one fetch behind the sync's all-or-nothing
 * read (client.readFeed) and the reconciliation's read within limits (client.readFeedText). The
 * path carries the feed's token (assumptions.ts), registered as a secret before the request is
 * sent, so that no error or log line of this call names it.
 */

export interface FeedFetchLimits {
  /** Refuse a larger answer (ResponseTooLargeError, not retried). @default no limit */
  maxBytes?: number;
  /** Attempts in all. @default the client's RetryOptions.attempts */
  attempts?: number;
}

/** The feed's text. A non-2xx answer is a PlatformError; the path's token never appears in it. */
export async function fetchFeedText(http: HttpCore, icsPath: string, limits: FeedFetchLimits = {}): Promise<string> {
  const path = icsPath.startsWith('/') ? icsPath : `/${icsPath}`;
  // The path may carry its token percent-encoded, or one other than the admin list's icsToken.
  icsTokensOfPath(path).forEach(registerSecret);
  const req: ApiRequest = {
    method: 'GET',
    path,
    kind: 'calendar',
    withApiKey: FEED_SENDS_API_KEY,
    ...(limits.maxBytes === undefined ? {} : { maxBodyBytes: limits.maxBytes }),
    ...(limits.attempts === undefined ? {} : { attempts: limits.attempts }),
  };
  const res = await http.send(req);
  if (res.status < 200 || res.status > 299) throw platformFailure(req, res);
  return res.text;
}
