import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, withBackoff } from '../../src/net/backoff.js';

describe('backoff', () => {
  it('doubles the jitter ceiling per retry up to the cap', () => {
    const top = { random: () => 0.999999, baseDelayMs: 100, maxDelayMs: 1000 };

    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, top))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelay(3, { ...top, random: () => 0 })).toBe(0);
  });

  it('never comes back before Retry-After, even when the jitter is smaller', () => {
    expect(backoffDelay(1, { random: () => 0.5, baseDelayMs: 100 }, 2000)).toBe(2000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');

    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('retries until success and reports each wait', async () => {
    const waits: number[] = [];
    let calls = 0;

    const result = await withBackoff(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error(`fail ${calls}`);
        return 'ok';
      },
      () => ({ retry: true }),
      { random: () => 0.5, baseDelayMs: 100, sleep: async (ms) => void waits.push(ms) },
    );

    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toEqual([50, 100]);
  });

  it('rethrows the last failure once the attempts are used up, and at once when it is final', async () => {
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw new Error(`fail ${calls}`);
    };
    const sleep = async () => {};

    await expect(withBackoff(failing, () => ({ retry: true }), { maxAttempts: 3, sleep })).rejects.toThrow('fail 3');
    calls = 0;
    await expect(withBackoff(failing, () => ({ retry: false }), { maxAttempts: 3, sleep })).rejects.toThrow('fail 1');
  });

  it('gives up at once when the server asks for a longer wait than it will honour', async () => {
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw new Error('throttled');
    };

    await expect(
      withBackoff(failing, () => ({ retry: true, retryAfterMs: 3_600_000 }), { maxRetryAfterMs: 60_000, sleep: async () => {} }),
    ).rejects.toThrow('throttled');
    expect(calls).toBe(1);
  });
});
