import pThrottle from 'p-throttle';

/** At most `limit` requests in any `intervalMs`, counted over a sliding window. */
export interface RateLimit {
  limit: number;
  intervalMs: number;
}

/**
 * Request rates kept under a provider's per-user quota, one sliding window per user: Google
 * counts Calendar API requests per user (the OAuth user, or each calendar owner a service
 * account acts as), Graph per mailbox. Strict mode (p-throttle): no window of `intervalMs`
 * ever holds more than `limit` requests, as both providers count over sliding windows; a burst
 * up to the limit goes at once, so a quiet cycle is not slowed below the quota.
 */
export class UserRateLimits {
  private readonly turns = new Map<string, () => Promise<void>>();

  constructor(private readonly rate: RateLimit | undefined) {}

  /** Resolves when one more request counted against `user` may be sent (at once when no limit is set). */
  async turn(user: string): Promise<void> {
    if (!this.rate) return;
    const key = user.toLowerCase();
    let turn = this.turns.get(key);
    if (!turn) {
      turn = pThrottle({ limit: this.rate.limit, interval: this.rate.intervalMs, strict: true })(async () => undefined);
      this.turns.set(key, turn);
    }
    await turn();
  }
}
