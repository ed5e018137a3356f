import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResponseTooLargeError } from '../../src/domain/errors.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';

/**
 * The size limit of a feed read (client.readFeedText) against a plain HTTP server on loopback
 * that streams without a content-length and without end: the client must stop reading at the
 * limit and close the connection, not hold tens of megabytes (or wait forever).
 */
describe('readFeedText limits', () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function endless(): Promise<{ url: string; sent: () => number; closed: Promise<void> }> {
    let sent = 0;
    let onClose!: () => void;
    const closed = new Promise<void>((resolve) => (onClose = resolve));
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/calendar' });
      const chunk = Buffer.from(`BEGIN:VCALENDAR\r\n${'X-FILLER:0123456789abcdef0123456789abcdef\r\n'.repeat(1600)}`);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', onClose);
      pump();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent: () => sent, closed };
  }

  it('a body without content-length is read no further than the limit, and the connection is closed', async () => {
    const s = await endless();
    const client = new WebMeetingClient({ baseUrl: s.url, apiKey: 'limits-api-key-123456', timeoutMs: 10_000 });
    const started = Date.now();
    const error = await client.readFeedText('/api/v6/meeting/calender/user/limits-token-abcdef', { maxBytes: 1024 * 1024 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as Error).message).toBe('GET /api/v6/meeting/calender/user/[redacted] answered more than 1 MiB; not read further');
    await s.closed;
    expect(Date.now() - started).toBeLessThan(5_000);
    // What the server managed to push before the client hung up: buffers, not the whole stream.
    expect(s.sent()).toBeLessThan(64 * 1024 * 1024);
  });

  it('a declared content-length over the limit is refused without reading the body', async () => {
    let requests = 0;
    server = http.createServer((_req, res) => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'text/calendar', 'content-length': String(50 * 1024 * 1024) });
      res.write('BEGIN:VCALENDAR\r\n');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const client = new WebMeetingClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: 'limits-api-key-123456', timeoutMs: 10_000 });
    await expect(client.readFeedText('/feed', { maxBytes: 16 * 1024 * 1024 })).rejects.toThrow('GET /feed answered more than 16 MiB; not read further');
    expect(requests).toBe(1);
    server.closeAllConnections();
  });
});
