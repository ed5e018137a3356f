/**
 * A token bucket: holds up to `size` tokens, refilled continuously at `size` per `intervalMs`.
 * A request takes one token and goes at once while any remain; past that it waits until the
 * refill has paid for it. Waiting requests reserve their token ahead (the count goes below
 * zero), so they are served in the order they asked and one at a time as tokens come in: no
 * timer polls, and a wait is known the moment it is asked for.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly perMs: number;

  constructor(
    private readonly size: number,
    intervalMs: number,
    /** A monotonic clock in milliseconds; the wall clock would jump with NTP. */
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(size >= 1) || !(intervalMs > 0)) throw new RangeError(`a token bucket needs a size of at least 1 and a positive interval, not ${size} per ${intervalMs} ms`);
    this.tokens = size;
    this.updatedAt = now();
    this.perMs = size / intervalMs;
  }

  /** Takes a token: the milliseconds to wait before using it (0 while the bucket has tokens). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.size, this.tokens + Math.max(0, now - this.updatedAt) * this.perMs);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens / this.perMs);
  }
}
