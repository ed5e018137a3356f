import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UserRateLimits } from '../../src/net/request-rate.js';
import { TokenBucket } from '../../src/net/token-bucket.js';

/**
 * The per-user limiter on fake time: every turn's resolution is stamped with the fake clock, so
 * a test reads how long each request waited without any wall-clock timing.
 */
describe('UserRateLimits', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'], now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Asks for `count` turns of `user` now; the array fills with the fake time each one was granted. */
  function ask(limits: UserRateLimits, user: string, count: number): number[] {
    const granted: number[] = [];
    for (let i = 0; i < count; i += 1) void limits.turn(user).then(() => granted.push(Date.now()));
    return granted;
  }

  const quota = { limit: 600, intervalMs: 60_000 };

  it('lets a burst up to the quota through at once', async () => {
    const limits = new UserRateLimits(quota);
    const granted = ask(limits, 'alice@example.com', 600);

    await vi.advanceTimersByTimeAsync(0);

    expect(granted).toHaveLength(600);
    expect(Math.max(...granted)).toBe(0);
  });

  it('makes requests past the quota wait for tokens to refill, one per limit/interval, in order', async () => {
    const limits = new UserRateLimits(quota);
    ask(limits, 'alice@example.com', 600);
    const late = ask(limits, 'alice@example.com', 3);

    await vi.advanceTimersByTimeAsync(99);
    expect(late).toEqual([]);
    await vi.advanceTimersByTimeAsync(300);

    // 600 a minute refill one token every 100 ms.
    expect(late).toEqual([100, 200, 300]);
  });

  it('never makes a sustained demand at half the quota wait, however long it lasts (the soak of issue 18)', async () => {
    const limits = new UserRateLimits(quota);
    const waits: number[] = [];
    // 50 requests every 10 s = 300 a minute, for 5 minutes: the window fills after 2.
    for (let cycle = 0; cycle < 30; cycle += 1) {
      const start = Date.now();
      const granted = ask(limits, '', 50);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(granted).toHaveLength(50);
      waits.push(Math.max(...granted) - start);
    }

    expect(waits).toEqual(new Array<number>(30).fill(0));
  });

  it('keeps a sustained demand above the quota to the quota: no more than a full bucket plus the refill by any time', async () => {
    const limits = new UserRateLimits(quota);
    const granted = ask(limits, 'alice@example.com', 2_000);

    for (const minutes of [1, 2]) {
      await vi.advanceTimersByTimeAsync(60_000);
      // A full bucket at first, then 600 a minute.
      expect(granted.length).toBe(600 + 600 * minutes);
    }
  });

  it("counts each user apart (case-insensitively): one user's exhausted quota does not delay another's", async () => {
    const limits = new UserRateLimits({ limit: 2, intervalMs: 60_000 });
    const alice = ask(limits, 'alice@example.com', 2);
    const aliceAgain = ask(limits, 'ALICE@example.com', 1);
    const bob = ask(limits, 'bob@example.com', 2);

    await vi.advanceTimersByTimeAsync(0);

    expect(alice).toEqual([0, 0]);
    expect(bob).toEqual([0, 0]);
    expect(aliceAgain).toEqual([]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(aliceAgain).toEqual([30_000]);
  });

  it('lets every request through at once when no limit is configured', async () => {
    const limits = new UserRateLimits(undefined);
    const granted = ask(limits, 'alice@example.com', 10_000);

    await vi.advanceTimersByTimeAsync(0);

    expect(granted).toHaveLength(10_000);
  });
});

describe('TokenBucket', () => {
  it('gives no tokens when its clock steps back, and none beyond its size after a long quiet', () => {
    let now = 1_000_000;
    const bucket = new TokenBucket(2, 1_000, () => now);

    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 500]);
    now -= 10_000;
    expect(bucket.take()).toBe(1_000);
    now += 1_000_000;
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 500]);
  });

  it('refuses a size below 1 or an interval of 0, which would never refill', () => {
    expect(() => new TokenBucket(0, 1_000)).toThrow(RangeError);
    expect(() => new TokenBucket(10, 0)).toThrow(RangeError);
  });
});
