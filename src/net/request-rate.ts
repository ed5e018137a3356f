import { TokenBucket } from './token-bucket.js';

/** At most `limit` requests per `intervalMs` sustained, and a burst of `limit` at once. */
export interface RateLimit {
  limit: number;
  intervalMs: number;
}

/**
 * Request rates kept under a provider's per-user quota, one token bucket per user whose size is
 * the quota: a burst up to the quota goes at once while tokens remain, and the sustained rate is
 * the quota (tokens refill at limit/intervalMs). Google counts Calendar API requests per user per
 * project per minute (the OAuth user, or each calendar owner a service account acts as), "using a
 * sliding window"; a burst beyond it is rate limited in the next window "to ensure that, on
 * average, your usage remains within the quotas" (developers.google.com/calendar/api/guides/quota,
 * 600 per minute per user). Outlook counts per app per mailbox, 10,000 requests per 10 minutes
 * (learn.microsoft.com/graph/throttling-limits, "Outlook service limits"). Both are averages we
 * must not exceed over time, not a spacing between requests.
 *
 * Issue 18: the limiter before this one (p-throttle, strict) spaced every request limit/interval
 * apart once its window held `limit` requests, even at half the quota; a 10-second schedule then
 * waited 4 s a cycle after two minutes. A bucket can let through up to twice the quota within one
 * window (a full bucket, then its refill); the providers answer that rare excess with 403/429,
 * which net/backoff.ts retries.
 */
export class UserRateLimits {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly rate: RateLimit | undefined) {}

  /** Resolves when one more request counted against `user` may be sent (at once when no limit is set). */
  async turn(user: string): Promise<void> {
    if (!this.rate) return;
    const key = user.toLowerCase();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.rate.limit, this.rate.intervalMs);
      this.buckets.set(key, bucket);
    }
    const waitMs = bucket.take();
    // The global timer (not node:timers/promises), which a test's fake clock also drives.
    if (waitMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, waitMs));
  }
}
