import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Deadline, deadlinePassed } from '../../src/net/deadline.js';

describe('Deadline', () => {
  it('has not passed before its time, and has after it', async () => {
    const deadline = new Deadline(20);

    expect(deadline.passed).toBe(false);
    expect(deadline.signal.aborted).toBe(false);
    await sleep(60);
    expect(deadline.passed).toBe(true);
    expect(deadline.ms).toBe(20);
  });

  it('ends a fetch to a server that never answers, and tells it from a refused connection', async () => {
    const server = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const slow = new Deadline(50);
      await expect(fetch(`http://127.0.0.1:${port}/`, { signal: slow.signal })).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(slow.passed).toBe(true);

      const refused = new Deadline(5_000);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await expect(fetch(`http://127.0.0.1:${port}/`, { signal: refused.signal })).rejects.toThrow();
      expect(refused.passed).toBe(false);
    } finally {
      if (server.listening) {
        server.closeAllConnections();
        server.close();
      }
    }
  });
});

describe('deadlinePassed', () => {
  it('is false for a signal aborted for another reason, and for what is not a signal', () => {
    const controller = new AbortController();
    controller.abort();

    expect(deadlinePassed(controller.signal)).toBe(false);
    expect(deadlinePassed(undefined)).toBe(false);
    expect(deadlinePassed({ aborted: true, reason: Object.assign(new Error('x'), { name: 'TimeoutError' }) })).toBe(false);
  });

  it('is true for a signal aborted by AbortSignal.timeout, as gaxios makes it', async () => {
    const signal = AbortSignal.timeout(1);
    await sleep(30);

    expect(deadlinePassed(signal)).toBe(true);
  });
});
