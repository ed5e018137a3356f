import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleSource } from '../../src/calendars/google/source.js';
import { CalendarError } from '../../src/domain/errors.js';
import { GoogleCalendarSimulator, type GoogleSimulatorOptions } from '../../src/simulators/google/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';

/**
 * events.watch and channels.stop through googleapis (GoogleSource) against the Google simulator,
 * and the notifications the simulator sends as Google does (guides/push), received by a real
 * HTTP server that counts them.
 */

const CALENDAR = 'alice@example.test';
const OAUTH = { clientId: 'client-123.apps.googleusercontent.com', clientSecret: 'GOCSPX-sim-client-secret', refreshToken: '1//sim-refresh-token-abcdef' };
const EVENT = { summary: 'Planning', start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } };

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('Google push: events.watch, channels.stop and notifications', () => {
  let sim: GoogleCalendarSimulator;
  let source: GoogleSource;
  let receiver: http.Server;
  let address = '';
  const received: Received[] = [];
  /** The statuses the receiver answers with, in turn; 200 once they run out. */
  let answers: number[] = [];

  async function setUp(options: Pick<GoogleSimulatorOptions, 'push'> = {}) {
    sim = new GoogleCalendarSimulator({ tls: loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!), oauthClients: [OAUTH], push: { retryBaseMs: 20, ...options.push } });
    await sim.start();
    sim.addCalendar(CALENDAR);
    source = new GoogleSource({ name: 'corp-google', calendars: [CALENDAR], auth: { type: 'oauth', ...OAUTH }, rootUrl: sim.rootUrl, tokenUrl: sim.tokenUrl, retry: { maxAttempts: 2, baseDelayMs: 2, maxDelayMs: 10 } });
  }

  beforeEach(async () => {
    received.length = 0;
    answers = [];
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(answers.shift() ?? 200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    address = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/push/google`;
  });

  afterEach(async () => {
    await sim?.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('answers a watch with the resource id and expiry, then sends a sync message and one exists message per change, with the documented headers', async () => {
    await setUp();
    const answer = await source.watch(CALENDAR, { channelId: 'chan-1', address, token: 'secret-token-1' });
    expect(answer.resourceId).toMatch(/\S+/);
    // No expiration asked for: the simulator's default lifetime (a week).
    expect(answer.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    await until(() => received.length === 1);
    const sync = received[0]!;
    expect(sync.body).toBe('');
    expect(sync.headers['x-goog-channel-id']).toBe('chan-1');
    expect(sync.headers['x-goog-channel-token']).toBe('secret-token-1');
    expect(sync.headers['x-goog-resource-state']).toBe('sync');
    expect(sync.headers['x-goog-message-number']).toBe('1');
    expect(sync.headers['x-goog-resource-id']).toBe(answer.resourceId);
    expect(sync.headers['x-goog-resource-uri']).toBe(`${sim.rootUrl}calendar/v3/calendars/${encodeURIComponent(CALENDAR)}/events?alt=json`);
    expect(new Date(String(sync.headers['x-goog-channel-expiration'])).getTime()).toBe(Math.floor(answer.expiresAt.getTime() / 1000) * 1000);

    sim.userInsert(CALENDAR, EVENT);
    await until(() => received.length === 2);
    const change = received[1]!;
    expect(change.headers['x-goog-resource-state']).toBe('exists');
    expect(Number(change.headers['x-goog-message-number'])).toBeGreaterThan(1);
    expect(change.headers['x-goog-resource-id']).toBe(answer.resourceId);
  });

  it('retries a notification answered 500, 502, 503 or 504 with growing delays, and not one answered otherwise', async () => {
    await setUp();
    answers = [200, 503, 500, 200];
    await source.watch(CALENDAR, { channelId: 'chan-2', address, token: 't' });
    sim.userInsert(CALENDAR, EVENT);
    await until(() => received.length === 4);
    const attempts = sim.pushDeliveries().filter((d) => d.state === 'exists');
    expect(attempts.map((d) => [d.attempt, d.status])).toEqual([[1, 503], [2, 500], [3, 200]]);
    expect(new Set(attempts.map((d) => d.messageNumber)).size).toBe(1);

    answers = [404];
    sim.userInsert(CALENDAR, { ...EVENT, summary: 'Second' });
    await until(() => received.length === 5);
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toHaveLength(5);
  });

  it('sends nothing on a stopped channel; a second stop is no error; an unknown channel id is refused 404 by Google', async () => {
    await setUp();
    const answer = await source.watch(CALENDAR, { channelId: 'chan-3', address, token: 't' });
    await until(() => received.length === 1);
    await source.unwatch(CALENDAR, { channelId: 'chan-3', resourceId: answer.resourceId });
    expect(sim.openChannels()).toEqual([]);
    await source.unwatch(CALENDAR, { channelId: 'chan-3', resourceId: answer.resourceId });
    sim.userInsert(CALENDAR, EVENT);
    // A change on a watched calendar would be delivered by now: the next channel's sync arrives first.
    await source.watch(CALENDAR, { channelId: 'chan-4', address, token: 't' });
    await until(() => received.length === 2);
    expect(received.map((r) => r.headers['x-goog-channel-id'])).toEqual(['chan-3', 'chan-4']);
    await expect(source.watch(CALENDAR, { channelId: 'chan-4', address, token: 't' })).rejects.toBeInstanceOf(CalendarError);
  });

  it('ends a channel at its expiration: a change after it is not notified', async () => {
    await setUp({ push: { channelTtlMs: 300 } });
    const answer = await source.watch(CALENDAR, { channelId: 'chan-5', address, token: 't' });
    expect(answer.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 300);
    await until(() => received.length === 1);
    await until(() => sim.openChannels().length === 0);
    sim.userInsert(CALENDAR, EVENT);
    await source.watch(CALENDAR, { channelId: 'chan-6', address, token: 't' });
    await until(() => received.length === 2);
    expect(received.map((r) => r.headers['x-goog-resource-state'])).toEqual(['sync', 'sync']);
  });

  it('lists its channels and loses the next notifications on request, through its /_sim/ endpoints (another process: meetsync simulate)', async () => {
    await setUp();
    await source.watch(CALENDAR, { channelId: 'chan-8', address, token: 't' });
    await until(() => received.length === 1);
    const listed = (await (await fetch(`${sim.url}/_sim/channels`)).json()) as Array<{ id: string; calendarId: string }>;
    expect(listed.map((c) => [c.id, c.calendarId])).toEqual([['chan-8', CALENDAR]]);
    expect((await fetch(`${sim.url}/_sim/drop-notifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 1 }) })).status).toBe(204);
    sim.userInsert(CALENDAR, EVENT);
    sim.userInsert(CALENDAR, { ...EVENT, summary: 'Second' });
    await until(() => received.length === 2);
    expect(sim.pushDeliveries().filter((d) => d.state === 'exists')).toHaveLength(1);
  });

  it('refuses a watch to a plain http address off loopback', async () => {
    await setUp();
    await expect(source.watch(CALENDAR, { channelId: 'chan-7', address: 'http://meetsync.example.com/push/google', token: 't' })).rejects.toThrow(/HTTPS/);
  });
});

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
