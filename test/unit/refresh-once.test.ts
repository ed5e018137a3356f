import { describe, expect, it } from 'vitest';
import { withBackoff } from '../../src/net/backoff.js';
import { refreshTokenOnce } from '../../src/net/refresh-once.js';

class Answer extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

const refused = (err: unknown): boolean => err instanceof Answer && err.status === 401;

/** A server that answers each request with the next status of `statuses` (200 = success). */
function server(...statuses: number[]) {
  const seen = { requests: 0, refreshes: 0 };
  const send = async (): Promise<string> => {
    const status = statuses[seen.requests] ?? 200;
    seen.requests += 1;
    if (status !== 200) throw new Answer(status);
    return 'ok';
  };
  const once = refreshTokenOnce({ refused, refresh: () => void (seen.refreshes += 1) });
  return { seen, send, once };
}

describe('refreshTokenOnce', () => {
  it('refreshes on a 401 and sends again at once', async () => {
    const { seen, send, once } = server(401, 200);

    await expect(once(send)).resolves.toBe('ok');
    expect(seen).toEqual({ requests: 2, refreshes: 1 });
  });

  it('refreshes once, not twice: a second 401 is the error', async () => {
    const { seen, send, once } = server(401, 401, 200);

    await expect(once(send)).rejects.toMatchObject({ status: 401 });
    expect(seen).toEqual({ requests: 2, refreshes: 1 });
  });

  it('passes any other failure through unchanged, without a refresh', async () => {
    const { seen, send, once } = server(403, 200);

    await expect(once(send)).rejects.toMatchObject({ status: 403 });
    expect(seen).toEqual({ requests: 1, refreshes: 0 });
  });

  it('hands the refused failure to refresh', async () => {
    const given: unknown[] = [];
    const once = refreshTokenOnce({ refused, refresh: (err) => void given.push(err) });
    let n = 0;

    await once(async () => {
      n += 1;
      if (n === 1) throw new Answer(401);
    });
    expect(given).toHaveLength(1);
    expect(given[0]).toBeInstanceOf(Answer);
  });

  it('allows one refresh per call, across the backoff attempts of that call', async () => {
    // 503, then 401 (refresh), then 503 (backoff), then 401 again: final, although it is a new attempt.
    const { seen, send, once } = server(503, 401, 503, 401, 200);
    const retryable = (err: unknown) => ({ retry: err instanceof Answer && err.status === 503 });

    await expect(withBackoff(() => once(send), retryable, { maxAttempts: 5, sleep: async () => {} })).rejects.toMatchObject({ status: 401 });
    expect(seen).toEqual({ requests: 4, refreshes: 1 });
  });

  it('gives a new call a new allowance', async () => {
    const seen = { refreshes: 0 };
    const makeCall = () => refreshTokenOnce({ refused, refresh: () => void (seen.refreshes += 1) });
    let n = 0;
    const send = async () => {
      n += 1;
      if (n % 2 === 1) throw new Answer(401);
      return n;
    };

    await expect(makeCall()(send)).resolves.toBe(2);
    await expect(makeCall()(send)).resolves.toBe(4);
    expect(seen.refreshes).toBe(2);
  });
});
