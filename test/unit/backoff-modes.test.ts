import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, withBackoff } from '../../src/net/backoff.js';

describe('backoffDelay modes', () => {
  it("retryAfter 'exact' waits just the Retry-After and draws no jitter", () => {
    let draws = 0;
    const random = () => {
      draws += 1;
      return 0.999999;
    };

    expect(backoffDelay(3, { random, baseDelayMs: 1000, retryAfter: 'exact' }, 200)).toBe(200);
    expect(draws).toBe(0);
    expect(backoffDelay(3, { random, baseDelayMs: 1000 }, 200)).toBe(3999);
    expect(draws).toBe(1);
  });

  it("retryAfter 'exact' still jitters when the server named no wait", () => {
    expect(backoffDelay(2, { random: () => 0.5, baseDelayMs: 100, retryAfter: 'exact' })).toBe(100);
  });

  it("jitterRounding 'nearest' reaches the ceiling, 'down' stays below it", () => {
    const top = { random: () => 0.9999, baseDelayMs: 100, maxDelayMs: 1000 };

    expect(backoffDelay(1, top)).toBe(99);
    expect(backoffDelay(1, { ...top, jitterRounding: 'nearest' })).toBe(100);
    expect(backoffDelay(5, { ...top, jitterRounding: 'nearest' })).toBe(1000);
    expect(backoffDelay(1, { random: () => 0.004, baseDelayMs: 100, jitterRounding: 'nearest' })).toBe(0);
  });

  it("withBackoff in 'exact' mode waits the Retry-After, and gives up on one longer than it honours", async () => {
    const waits: number[] = [];
    let calls = 0;
    const options = { retryAfter: 'exact' as const, maxRetryAfterMs: 5000, sleep: async (ms: number) => void waits.push(ms) };

    await withBackoff(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('busy');
      },
      () => ({ retry: true, retryAfterMs: 1000 }),
      options,
    );
    expect(waits).toEqual([1000, 1000]);

    calls = 0;
    await expect(
      withBackoff(
        async () => {
          calls += 1;
          throw new Error('busy for long');
        },
        () => ({ retry: true, retryAfterMs: 6000 }),
        options,
      ),
    ).rejects.toThrow('busy for long');
    expect(calls).toBe(1);
  });
});

describe('parseRetryAfter dates', () => {
  const now = Date.parse('2030-01-01T00:00:00.000Z');

  it("'http' (the default) takes only dates that name their month", () => {
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('2030-01-01T00:00:05Z', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });

  it("'any' takes whatever Date.parse takes, as the calendar adapters always have", () => {
    const any = { dates: 'any' as const };

    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:05 GMT', now, any)).toBe(5000);
    expect(parseRetryAfter('2030-01-01T00:00:05Z', now, any)).toBe(5000);
    expect(parseRetryAfter('-1', now, any)).toBe(0);
    expect(parseRetryAfter('soon', now, any)).toBeUndefined();
    expect(parseRetryAfter('12', now, any)).toBe(12_000);
  });
});
