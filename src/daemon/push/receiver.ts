import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { describeError } from '../../domain/errors.js';
import type { Logger } from '../../log.js';
import { leaseKey } from '../../store/leases.js';
import { tokenMatches, type PushChannel, type PushChannelStore, type PushProvider } from '../../store/push-channels.js';
import type { PushQueue } from './queue.js';
import { PUSH_PATHS } from './channels.js';

/** Why a notification was refused (a metrics label). */
export type RejectReason = 'malformed' | 'unknown-channel' | 'bad-token' | 'too-large';

/** What became of one notification: answered, and counted by the metrics. */
export interface PushOutcome {
  status: number;
  body: { ok: true; read?: 'queued' | 'coalesced' | 'handed-over' } | { error: string };
  /** Answered as text/plain instead of `body` (Graph's validation handshake echoes its token). */
  text?: string;
  provider: PushProvider;
  /** accepted: checked (a read queued, folded into one queued, or a sync message); rejected: refused with a 4xx. */
  result: { kind: 'accepted'; read?: 'queued' | 'coalesced' | 'handed-over' } | { kind: 'rejected'; reason: RejectReason };
}

/** Told of every notification's outcome (the daemon's metrics). */
export type PushObserver = (outcome: PushOutcome) => void;

/** Google's notifications have an empty body (guides/push): more than this is refused unread. */
export const PUSH_BODY_LIMIT = 16 * 1024;
/**
 * Graph batches notifications (`value: [...]`, change-notifications-delivery-webhooks), about
 * 700 bytes an item for Outlook events: a burst in one mailbox can outgrow 16 KiB, and a batch
 * refused as too large would be retried and refused again. Graph's bodies may be this large.
 */
export const GRAPH_BODY_LIMIT = 256 * 1024;

/** The largest body a provider's notification may have. */
export function bodyLimitOf(provider: PushProvider): number {
  return provider === 'graph' ? GRAPH_BODY_LIMIT : PUSH_BODY_LIMIT;
}

export interface PushReceiverOptions {
  channels: Pick<PushChannelStore, 'get'>;
  queue: Pick<PushQueue, 'poke'>;
  /** Whether the calendar (its leaseKey) is in the config now. */
  configured: (key: string) => boolean;
  /**
   * Replicas on PostgreSQL: whether this replica reads the calendar (holds its lease). When it
   * does not, the notification is recorded in the database for the holder (`handOver`), which
   * picks it up within a second (pokes.ts); it is never read here as well. Absent: always here.
   */
  holds?: (source: string, calendarId: string) => boolean;
  handOver?: (source: string, calendarId: string) => void;
  /**
   * Graph lifecycle notifications that ask for more than a read: `reauthorizationRequired` (renew
   * the subscription) and `subscriptionRemoved` (Graph ended it: forget it, a new one is created
   * after the read queued with it). Done after the answer, never awaited by it.
   */
  lifecycle?: (channel: PushChannel, event: 'reauthorizationRequired' | 'subscriptionRemoved') => Promise<void>;
  logger: Logger;
  now?: () => Date;
}

/**
 * The notification endpoint's logic, one handler per provider behind one route family
 * (`/push/<provider>`; Graph subscriptions join as `/push/graph`). A notification carries no data
 * to trust: once its channel and token check out, it only queues a read of that calendar through
 * the engine (PushQueue), and the calendar's cursor says what changed. A notification that fails
 * a check is answered 4xx and changes nothing.
 */
export class PushReceiver {
  private readonly now: () => Date;
  private observer: PushObserver | undefined;

  constructor(private readonly options: PushReceiverOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** The provider whose notifications arrive on `pathname`, if any. */
  static providerOf(pathname: string): PushProvider | undefined {
    return (Object.keys(PUSH_PATHS) as PushProvider[]).find((p) => PUSH_PATHS[p] === pathname);
  }

  observe(observer: PushObserver): void {
    this.observer = observer;
  }

  /** A notification whose body was longer than its provider's limit (bodyLimitOf): refused unread. */
  tooLarge(provider: PushProvider): PushOutcome {
    return this.tell(reject(provider, 413, 'too-large', `a notification body is at most ${bodyLimitOf(provider)} bytes`));
  }

  /** One notification: its headers, and for Graph its body (text) and query string. */
  receive(provider: PushProvider, headers: IncomingHttpHeaders, body = '', query = new URLSearchParams()): PushOutcome {
    return this.tell(provider === 'graph' ? this.graph(body, query) : this.google(provider, headers));
  }

  private tell(outcome: PushOutcome): PushOutcome {
    this.observer?.(outcome);
    return outcome;
  }

  /**
   * Google Calendar (developers.google.com/calendar/api/guides/push, "Receiving notifications"):
   * an empty POST whose X-Goog-* headers name the channel, the watched resource and its state.
   * The channel must be one meetsync opened and still holds, for a configured calendar, with its
   * token and resource id; `sync` (the first message of a channel) reads nothing; `exists` and
   * `not_exists` queue a read of the channel's calendar.
   */
  private google(provider: PushProvider, headers: IncomingHttpHeaders): PushOutcome {
    const h = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const channelId = h('x-goog-channel-id');
    const state = h('x-goog-resource-state');
    const resourceId = h('x-goog-resource-id');
    const token = h('x-goog-channel-token');
    if (!channelId || !state || !resourceId) return reject(provider, 400, 'malformed', 'not a Google Calendar notification: X-Goog-Channel-ID, X-Goog-Resource-ID and X-Goog-Resource-State are required');
    if (!['sync', 'exists', 'not_exists'].includes(state)) return reject(provider, 400, 'malformed', `unknown X-Goog-Resource-State ${JSON.stringify(state.slice(0, 40))}`);
    const channel = this.options.channels.get(channelId);
    const key = channel ? leaseKey(channel) : '';
    if (!channel || channel.provider !== provider || (channel.expiresAt && channel.expiresAt <= this.now()) || !this.options.configured(key)) {
      return reject(provider, 404, 'unknown-channel', 'no such channel open');
    }
    // The same answer for a wrong token and a wrong resource: nothing tells a forger which was right.
    if (token === undefined || !tokenMatches(channel, token) || (channel.resourceId !== undefined && channel.resourceId !== resourceId)) {
      this.options.logger.warn({ source: channel.source, calendar: channel.calendarId, channel: channelId }, 'push notification refused: its channel token or resource id is not the channel\'s');
      return reject(provider, 403, 'bad-token', 'channel token refused');
    }
    if (state === 'sync') return { provider, status: 200, body: { ok: true }, result: { kind: 'accepted' } };
    if (this.options.holds && this.options.handOver && !this.options.holds(channel.source, channel.calendarId)) {
      this.options.handOver(channel.source, channel.calendarId);
      return { provider, status: 200, body: { ok: true, read: 'handed-over' }, result: { kind: 'accepted', read: 'handed-over' } };
    }
    const read = this.options.queue.poke(key);
    return { provider, status: 200, body: { ok: true, read }, result: { kind: 'accepted', read } };
  }

  /**
   * Microsoft Graph (learn.microsoft.com/graph/change-notifications-delivery-webhooks):
   * - "notificationUrl validation": Graph POSTs `?validationToken=<token>` (URL-encoded) to the
   *   notification and the lifecycle URL when a subscription is created or renewed; the answer
   *   must be 200, `text/plain`, the decoded token as the body, within 10 seconds. Nothing is
   *   checked: the token is opaque and only echoed.
   * - A notification is a JSON body `{value: [...]}` of one or more items, each naming its
   *   `subscriptionId` and carrying the `clientState` given at creation. Every item must name a
   *   subscription meetsync holds, of a configured mailbox, with its clientState; otherwise the
   *   whole POST is refused with a 4xx and nothing is queued. Graph wants a 2xx within 3 seconds
   *   (202 Accepted), so the answer only queues a read of the mailbox.
   * - Lifecycle notifications (learn.microsoft.com/graph/change-notifications-lifecycle-events)
   *   arrive on the lifecycleNotificationUrl, which "can be the same as the notificationUrl" (so
   *   here the same path), as items with a `lifecycleEvent`, validated by clientState like the
   *   others: `missed` names no item, so the mailbox is read (its delta link says what changed);
   *   `reauthorizationRequired` renews the subscription, then queues a read (changes made while
   *   delivery was paused were never notified); `subscriptionRemoved` forgets it and queues a
   *   read, after which a new one is created.
   */
  private graph(body: string, query: URLSearchParams): PushOutcome {
    const provider = 'graph';
    const validationToken = query.get('validationToken');
    if (validationToken !== null) {
      if (validationToken === '' || validationToken.length > VALIDATION_TOKEN_LIMIT) return reject(provider, 400, 'malformed', 'validationToken is empty or too long');
      return { provider, status: 200, body: { ok: true }, text: validationToken, result: { kind: 'accepted' } };
    }
    let items: GraphItem[];
    try {
      const parsed = GraphNotifications.safeParse(JSON.parse(body));
      if (!parsed.success) return reject(provider, 400, 'malformed', 'not a Microsoft Graph notification: a JSON object with "value", a list of items each naming its "subscriptionId"');
      items = parsed.data.value;
    } catch {
      return reject(provider, 400, 'malformed', 'not a Microsoft Graph notification: the body is not JSON');
    }
    const checked: Array<{ channel: PushChannel; item: GraphItem }> = [];
    for (const item of items) {
      const channel = this.options.channels.get(item.subscriptionId);
      if (!channel || channel.provider !== provider || (channel.expiresAt && channel.expiresAt <= this.now()) || !this.options.configured(leaseKey(channel))) {
        return reject(provider, 404, 'unknown-channel', 'no such subscription');
      }
      if (typeof item.clientState !== 'string' || !tokenMatches(channel, item.clientState)) {
        this.options.logger.warn({ source: channel.source, calendar: channel.calendarId, subscription: channel.channelId }, 'push notification refused: its clientState is not the subscription\'s');
        return reject(provider, 403, 'bad-token', 'clientState refused');
      }
      checked.push({ channel, item });
    }
    let read: 'queued' | 'coalesced' | 'handed-over' | undefined;
    const reads = new Set<string>();
    for (const { channel, item } of checked) {
      const event = item.lifecycleEvent;
      if (event === 'reauthorizationRequired' || event === 'subscriptionRemoved') {
        this.options.logger.info({ source: channel.source, calendar: channel.calendarId, subscription: channel.channelId }, `Graph lifecycle notification ${event} for mailbox ${channel.calendarId}`);
        const handled = this.options.lifecycle?.(channel, event) ?? Promise.resolve();
        if (event === 'reauthorizationRequired') {
          // Graph may have paused delivery until the subscription is reauthorized: what changed
          // meanwhile was never notified, so the mailbox is read once the renewal is done (and
          // that read's afterCycle replaces a subscription the renewal could not save).
          const key = leaseKey(channel);
          void handled
            .catch(() => undefined)
            .then(() => this.readOf(channel, key))
            .catch((err: unknown) => this.options.logger.warn({ source: channel.source, calendar: channel.calendarId }, `push: no read queued after reauthorizing the subscription of mailbox ${channel.calendarId}: ${describeError(err)}`));
          continue;
        }
      } else if (event === 'missed') {
        this.options.logger.info({ source: channel.source, calendar: channel.calendarId, subscription: channel.channelId }, `Graph says notifications for mailbox ${channel.calendarId} were missed: reading it`);
      } else if (event !== undefined) continue;
      const key = leaseKey(channel);
      if (reads.has(key)) continue;
      reads.add(key);
      read = this.readOf(channel, key);
    }
    return { provider, status: 202, body: { ok: true, ...(read ? { read } : {}) }, result: { kind: 'accepted', ...(read ? { read } : {}) } };
  }

  /** Queues a read of the channel's calendar here, or hands it to the replica that holds it. */
  private readOf(channel: PushChannel, key: string): 'queued' | 'coalesced' | 'handed-over' {
    if (this.options.holds && this.options.handOver && !this.options.holds(channel.source, channel.calendarId)) {
      this.options.handOver(channel.source, channel.calendarId);
      return 'handed-over';
    }
    return this.options.queue.poke(key);
  }
}

/** Graph's validation tokens are opaque and short; anything longer is not one. */
const VALIDATION_TOKEN_LIMIT = 2048;

/** What of a Graph notification item is read: the rest (resource, resourceData) is not trusted nor needed. */
const GraphItem = z.object({
  subscriptionId: z.string().min(1).max(200),
  clientState: z.string().nullish(),
  lifecycleEvent: z.string().optional(),
});
type GraphItem = z.infer<typeof GraphItem>;
const GraphNotifications = z.object({ value: z.array(GraphItem).min(1).max(1000) });

function reject(provider: PushProvider, status: number, reason: RejectReason, error: string): PushOutcome {
  return { provider, status, body: { error }, result: { kind: 'rejected', reason } };
}
