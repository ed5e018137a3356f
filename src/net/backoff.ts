/**
 * Retry with exponential backoff, full jitter and a cap, honouring a server's Retry-After.
 * Generic: the caller says which failures are worth retrying (and how long the server asked to
 * wait); this module only decides when to try again and when to give up. The one retry loop of
 * meetsync's HTTP clients: the Google and Graph adapters and the Web Meeting client.
 *
 * Why: Google's error guide (developers.google.com/calendar/api/guides/errors) asks for
 * exponential backoff on 403 rateLimitExceeded/userRateLimitExceeded, 429 and 5xx; Graph's
 * throttling guide asks clients to wait for Retry-After on 429/503; vdirsyncer #733 shows what
 * happens when Retry-After is ignored (../shared/notes/PROVIDERS.md).
 */

export interface BackoffOptions {
  /**
   * Attempts in total, the first one included.
   * @default 5
   */
  maxAttempts?: number;
  /**
   * Delay ceiling of the first retry; doubles with every further retry.
   * @default 500
   */
  baseDelayMs?: number;
  /**
   * Ceiling of the computed (jittered) delay.
   * @default 30000
   */
  maxDelayMs?: number;
  /**
   * The longest Retry-After that is waited for. A server asking for more ends the retries at
   * once: the next sync cycle comes sooner than that anyway.
   * @default 120000
   */
  maxRetryAfterMs?: number;
  /**
   * What a Retry-After does to the wait. 'floor': never sooner than the server asked, later when
   * the jitter draws more. 'exact': just what the server asked, no jitter drawn.
   * @default 'floor'
   */
  retryAfter?: 'floor' | 'exact';
  /**
   * How the jittered wait becomes whole milliseconds: 'down' draws from [0, ceiling), 'nearest'
   * from [0, ceiling].
   * @default 'down'
   */
  jitterRounding?: 'down' | 'nearest';
  /** Source of randomness in [0, 1); tests make it fixed. @default Math.random */
  random?: () => number;
  /** How to wait; tests may make it instant. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/** What the caller says about one failure. */
export interface RetryVerdict {
  retry: boolean;
  /** How long the server asked to wait (from Retry-After), if it did. */
  retryAfterMs?: number;
}

/** Told before every wait, so callers can log and count retries. */
export interface RetryNotice {
  /** The attempt that failed (1 = the first). */
  attempt: number;
  delayMs: number;
  error: unknown;
}

export const DEFAULT_BACKOFF = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
} as const;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The wait before retry number `retry` (1 = the first retry): "full jitter", a random delay
 * between 0 and min(cap, base * 2^(retry-1)), so many clients throttled together do not come
 * back together. A Retry-After is a floor by default: we never come back earlier than the
 * server asked (`retryAfter: 'exact'` waits just that).
 */
export function backoffDelay(retry: number, options: BackoffOptions = {}, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && options.retryAfter === 'exact') return retryAfterMs;
  const base = options.baseDelayMs ?? DEFAULT_BACKOFF.baseDelayMs;
  const cap = options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, retry - 1));
  const round = options.jitterRounding === 'nearest' ? Math.round : Math.floor;
  const jittered = round(random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}

/**
 * Reads a Retry-After header: delta-seconds or an HTTP date (RFC 9110 section 10.2.3).
 * Returns milliseconds to wait, or undefined when absent or unreadable.
 *
 * `dates: 'http'` takes a date only in a form that names its month, as every HTTP-date does:
 * V8's Date.parse would also take "-1" as a year, or an ISO 8601 date. `dates: 'any'` takes
 * whatever Date.parse takes, as the Google and Graph adapters always have; no server of theirs
 * sends such a value, and narrowing them is a change of behaviour left out of the refactor that
 * brought the two readers together.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
  options: { dates?: 'http' | 'any' } = {},
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if ((options.dates ?? 'http') === 'http' && !/[a-z]{3}/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Runs `attempt` until it succeeds, `classify` says a failure is final, or the attempts are
 * used up; then rethrows the last failure unchanged.
 */
export async function withBackoff<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  classify: (error: unknown) => RetryVerdict,
  options: BackoffOptions & { onRetry?: (notice: RetryNotice) => void } = {},
): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_BACKOFF.maxAttempts);
  const maxRetryAfter = options.maxRetryAfterMs ?? DEFAULT_BACKOFF.maxRetryAfterMs;
  const sleep = options.sleep ?? defaultSleep;
  for (let n = 1; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      const verdict = classify(error);
      if (!verdict.retry || n >= maxAttempts) throw error;
      if (verdict.retryAfterMs !== undefined && verdict.retryAfterMs > maxRetryAfter) throw error;
      const delayMs = backoffDelay(n, options, verdict.retryAfterMs);
      options.onRetry?.({ attempt: n, delayMs, error });
      await sleep(delayMs);
    }
  }
}
