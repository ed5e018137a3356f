import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { badRequest, envelope, GoogleApiError, notFound } from './errors.js';

/**
 * Google Calendar push notifications, as the simulator sends them. Written from "Push
 * notifications" (developers.google.com/calendar/api/guides/push) and the Channel schema of the
 * discovery document (test/fixtures/google/calendar.v3.json):
 *
 * - events.watch opens a `web_hook` channel (`id` unique, at most 64 characters; `address` an
 *   HTTPS URL; optional `token`, echoed as X-Goog-Channel-Token; optional `expiration`, ms since
 *   the epoch, as a string). The answer is an `api#channel` with a `resourceId` (opaque, stable
 *   for the watched resource), a `resourceUri` and the `expiration` Google chose.
 * - Right after, a `sync` message ("notifications are starting"), message number 1; it may
 *   arrive before the watch answer does.
 * - Each change of the calendar's events sends an `exists` message; message numbers grow.
 * - Every message is a POST with an empty body and the headers X-Goog-Channel-ID,
 *   X-Goog-Message-Number, X-Goog-Resource-ID, X-Goog-Resource-State, X-Goog-Resource-URI, and
 *   when known X-Goog-Channel-Expiration (a human-readable date) and X-Goog-Channel-Token.
 * - "Respond to notifications": 200, 201, 202, 204 or 102 is success; on 500, 502, 503 or 504
 *   Google retries with exponential backoff; every other status is a failed message, not retried.
 *   (A connection that fails is retried like a 5xx here.)
 * - Channels are not renewed: they end at their expiration and send nothing more; channels.stop
 *   (id and resourceId) ends one at once.
 *
 * The guide requires an HTTPS address with a valid certificate; the simulator also accepts
 * http:// to a loopback host, so tests can reach a daemon listening on plain HTTP, as meetsync's
 * config does for loopback.
 */

export interface PushOptions {
  /** The longest and default lifetime of a channel. @default one week */
  channelTtlMs?: number;
  /** First retry delay after a 5xx; doubled each time. @default 1000 */
  retryBaseMs?: number;
  /** Deliveries of one message at most, the first included. @default 6 */
  maxAttempts?: number;
  /** Extra CA certificates (PEM) trusted when delivering to https:// addresses. */
  ca?: string;
}

export type ResourceState = 'sync' | 'exists' | 'not_exists';

/** One delivery attempt of a notification, as sent and as answered. */
export interface PushDelivery {
  channelId: string;
  state: ResourceState;
  messageNumber: number;
  attempt: number;
  /** The receiver's HTTP status, or 'error' when no answer came. */
  status: number | 'error';
}

interface Channel {
  id: string;
  calendarId: string;
  resourceId: string;
  resourceUri: string;
  address: URL;
  token?: string;
  expiration: number;
  messageNumber: number;
}

const SUCCESS = new Set([102, 200, 201, 202, 204]);
const RETRIED = new Set([500, 502, 503, 504]);
const WEEK_MS = 7 * 86_400_000;

export class GooglePush {
  private readonly channels = new Map<string, Channel>();
  private readonly resourceIds = new Map<string, string>();
  private readonly log: PushDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private dropping = 0;
  private stopped = false;
  readonly options: Required<Omit<PushOptions, 'ca'>> & Pick<PushOptions, 'ca'>;

  constructor(options: PushOptions = {}) {
    this.options = { channelTtlMs: options.channelTtlMs ?? WEEK_MS, retryBaseMs: options.retryBaseMs ?? 1000, maxAttempts: options.maxAttempts ?? 6, ...(options.ca ? { ca: options.ca } : {}) };
  }

  /** events.watch on `calendarId` (already checked to exist and be accessible). */
  watch(calendarId: string, resourceUri: string, body: unknown): Record<string, unknown> {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const id = b.id;
    if (typeof id !== 'string' || id === '') throw badRequest('Required: id', 'id');
    if (id.length > 64) throw badRequest('Channel id must be at most 64 characters', 'id');
    if (this.channels.has(id)) throw new GoogleApiError(400, envelope(400, { domain: 'global', reason: 'channelIdNotUnique', message: `Channel id ${id} not unique` }));
    if (b.type !== 'web_hook' && b.type !== 'webhook') throw badRequest(`Invalid value for: type. Expected web_hook`, 'type');
    const address = typeof b.address === 'string' ? safeUrl(b.address) : undefined;
    if (!address) throw badRequest('Required: address', 'address');
    if (address.protocol !== 'https:' && !(address.protocol === 'http:' && isLoopback(address.hostname))) {
      throw new GoogleApiError(400, envelope(400, { domain: 'global', reason: 'push.webhookUrlNotHttps', message: `WebHook callback must be HTTPS: ${address.href}` }));
    }
    if (b.token !== undefined && typeof b.token !== 'string') throw badRequest('Invalid value for: token', 'token');
    const longest = Date.now() + this.options.channelTtlMs;
    const asked = b.expiration === undefined ? undefined : Number(b.expiration);
    const expiration = asked !== undefined && Number.isFinite(asked) && asked > Date.now() ? Math.min(asked, longest) : longest;
    const key = calendarId.toLowerCase();
    let resourceId = this.resourceIds.get(key);
    if (!resourceId) {
      resourceId = randomBytes(12).toString('base64url');
      this.resourceIds.set(key, resourceId);
    }
    const channel: Channel = { id, calendarId: key, resourceId, resourceUri, address, ...(typeof b.token === 'string' ? { token: b.token } : {}), expiration, messageNumber: 0 };
    this.channels.set(id, channel);
    this.send(channel, 'sync');
    return {
      kind: 'api#channel',
      id,
      resourceId,
      resourceUri,
      ...(channel.token !== undefined ? { token: channel.token } : {}),
      expiration: String(expiration),
    };
  }

  /** channels.stop: the channel named by id and resourceId ends at once; 404 for one unknown. */
  stop(body: unknown): void {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const channel = typeof b.id === 'string' ? this.channels.get(b.id) : undefined;
    if (!channel || channel.resourceId !== b.resourceId) throw notFound();
    this.channels.delete(channel.id);
  }

  /** A change to the events of `calendarId`: every live channel on it is told. */
  changed(calendarId: string): void {
    for (const channel of this.channels.values()) if (channel.calendarId === calendarId.toLowerCase()) this.send(channel, 'exists');
  }

  /** The channels open now (ended ones are not listed), for tests and `meetsync simulate`. */
  openChannels(): Array<{ id: string; calendarId: string; resourceId: string; resourceUri: string; address: string; token?: string; expiration: number }> {
    const now = Date.now();
    return [...this.channels.values()]
      .filter((c) => c.expiration > now)
      .map((c) => ({ id: c.id, calendarId: c.calendarId, resourceId: c.resourceId, resourceUri: c.resourceUri, address: c.address.href, ...(c.token !== undefined ? { token: c.token } : {}), expiration: c.expiration }));
  }

  /** Every delivery attempt so far, oldest first. */
  deliveries(): PushDelivery[] {
    return this.log.map((d) => ({ ...d }));
  }

  /** The next `count` notifications are lost on the way: never delivered, never retried. */
  dropNext(count: number): void {
    this.dropping += count;
  }

  /** Deliveries under way (retries waiting included) end; nothing more is sent. */
  async close(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private send(channel: Channel, state: ResourceState): void {
    if (this.stopped || channel.expiration <= Date.now()) return;
    // Message numbers "increase for each subsequent message on the channel"; a sync message is 1.
    channel.messageNumber = state === 'sync' ? 1 : channel.messageNumber + 1 + (state === 'exists' ? Math.floor(Math.random() * 3) : 0);
    if (this.dropping > 0) {
      this.dropping -= 1;
      return;
    }
    const headers: Record<string, string> = {
      'X-Goog-Channel-ID': channel.id,
      'X-Goog-Message-Number': String(channel.messageNumber),
      'X-Goog-Resource-ID': channel.resourceId,
      'X-Goog-Resource-State': state,
      'X-Goog-Resource-URI': channel.resourceUri,
      'X-Goog-Channel-Expiration': new Date(channel.expiration).toUTCString(),
      ...(channel.token !== undefined ? { 'X-Goog-Channel-Token': channel.token } : {}),
    };
    this.attempt(channel, state, channel.messageNumber, headers, 1);
  }

  private attempt(channel: Channel, state: ResourceState, messageNumber: number, headers: Record<string, string>, attempt: number): void {
    const delivery = post(channel.address, headers, this.options.ca).then((status) => {
      this.log.push({ channelId: channel.id, state, messageNumber, attempt, status });
      if (status !== 'error' && (SUCCESS.has(status) || !RETRIED.has(status))) return;
      if (attempt >= this.options.maxAttempts || this.stopped || !this.channels.has(channel.id)) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.attempt(channel, state, messageNumber, headers, attempt + 1);
      }, this.options.retryBaseMs * 2 ** (attempt - 1));
      this.timers.add(timer);
    });
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }
}

/** POSTs an empty body; resolves with the status, or 'error' when no answer came within 10 s. */
function post(url: URL, headers: Record<string, string>, ca: string | undefined): Promise<number | 'error'> {
  return new Promise((resolve) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': '0' }, timeout: 10_000, ...(ca ? { ca } : {}) },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve('error'));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve('error'));
    request.end();
  });
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
