import { FeedError } from '../../domain/errors.js';
import { registerSecret } from '../../domain/redact.js';
import { FEED_KEY, icsTokensOfPath } from '../assumptions.js';
import { platformFailure, type ApiRequest, type ApiResponse, type HttpCore } from '../http.js';

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

/**
 * What a client has learned of its platform's feeds: that they answer only with the API key.
 * One object per client, so that a feed refused without the key once is not asked twice again.
 */
export interface FeedKeyMemory {
  needsKey: boolean;
}

/**
 * The feed's text. Asked without the API key first (assumptions.ts FEED_KEY), once more with it
 * after a 401 or 403, and only on the API's own origin. A non-2xx answer is a FeedError (the
 * organizer's problem, never the platform's); the path's token never appears in it.
 */
export async function fetchFeedText(http: HttpCore, icsPath: string, limits: FeedFetchLimits = {}, memory: FeedKeyMemory = { needsKey: false }): Promise<string> {
  const path = icsPath.startsWith('/') ? icsPath : `/${icsPath}`;
  // The path may carry its token percent-encoded, or one other than the admin list's icsToken.
  icsTokensOfPath(path).forEach(registerSecret);
  const mayUseKey = http.isApiOrigin(path);
  const req: ApiRequest = {
    method: 'GET',
    path,
    kind: 'calendar',
    withApiKey: mayUseKey && (FEED_KEY.firstWithKey || memory.needsKey),
    ...(limits.maxBytes === undefined ? {} : { maxBodyBytes: limits.maxBytes }),
    ...(limits.attempts === undefined ? {} : { attempts: limits.attempts }),
  };
  let res = await http.send(req);
  const retried = !req.withApiKey && mayUseKey && FEED_KEY.retryWithKeyOn.has(res.status);
  if (retried) {
    res = await http.send({ ...req, withApiKey: true });
    if (isOk(res)) memory.needsKey = true;
  }
  if (!isOk(res)) {
    const failure = platformFailure(req, res);
    throw new FeedError(
      {
        method: failure.method,
        path: req.path,
        ...(failure.status === undefined ? {} : { status: failure.status }),
        ...(failure.responseCode === undefined ? {} : { responseCode: failure.responseCode }),
        ...(failure.responseMessage === undefined ? {} : { responseMessage: failure.responseMessage }),
      },
      retried,
    );
  }
  return res.text;
}

function isOk(res: ApiResponse): boolean {
  return res.status >= 200 && res.status <= 299;
}
