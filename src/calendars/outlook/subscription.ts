import { z } from 'zod';
import { CalendarError, MalformedResponseError } from '../../domain/errors.js';
import type { WatchAnswer, WatchRequest } from '../source.js';
import type { GraphTransport } from './graph.js';

/**
 * Graph change notifications on a mailbox's events (issue 18), the Outlook adapter's side: a
 * subscription is created, renewed and deleted through the same transport as every other Graph
 * call (graph.ts). From learn.microsoft.com/graph:
 * - api/subscription-post-subscriptions: `POST /subscriptions` with changeType, notificationUrl,
 *   lifecycleNotificationUrl, resource, expirationDateTime and clientState; 201 with the
 *   subscription's `id`. Graph validates both URLs first (the `validationToken` handshake,
 *   change-notifications-delivery-webhooks "notificationUrl validation"), so the daemon's
 *   endpoint must be up and reachable before this is sent.
 * - api/resources/subscription, "Subscription lifetime": Outlook event subscriptions live at most
 *   10,080 minutes (under 7 days); clientState at most 128 characters.
 * - api/subscription-update: `PATCH /subscriptions/{id}` with a new expirationDateTime renews it
 *   (and reauthorizes it after a reauthorizationRequired lifecycle notification,
 *   change-notifications-lifecycle-events).
 * - api/subscription-delete: `DELETE /subscriptions/{id}`, 204; 404 when Graph no longer has it.
 */

/** The changes of a mailbox's events that a notification is sent for. */
const CHANGE_TYPES = 'created,updated,deleted';
/**
 * The lifetime asked for: under the 10,080-minute maximum for events, with room for clock skew.
 * The daemon renews at half of it (daemon/push/channels.ts), so about every 3.5 days.
 */
const LIFETIME_MINUTES = 10_000;

/** Graph writes up to seven fractional digits ("2016-11-20T18:23:45.9356913Z"): Date.parse reads them. */
const Time = z.string().refine((s) => Number.isFinite(Date.parse(s)));
const CreatedSubscription = z.object({ id: z.string().min(1), expirationDateTime: Time });
const RenewedSubscription = z.object({ expirationDateTime: Time });

export class GraphSubscriptions {
  constructor(
    private readonly graph: GraphTransport,
    private readonly source: string,
    private readonly mailboxPath: (mailbox: string) => string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A subscription on the mailbox's events; its id (what notifications name) and end. */
  async create(mailbox: string, request: WatchRequest): Promise<WatchAnswer> {
    const resource = `${this.mailboxPath(mailbox)}/events`;
    const data = await this.graph.call({
      mailbox,
      method: 'POST',
      path: '/subscriptions',
      body: {
        changeType: CHANGE_TYPES,
        notificationUrl: request.address,
        ...(request.lifecycleAddress ? { lifecycleNotificationUrl: request.lifecycleAddress } : {}),
        resource,
        expirationDateTime: this.expiry(),
        clientState: request.token,
      },
      what: 'POST subscriptions',
    });
    // The answer echoes clientState: only the fields needed are taken, nothing of it is kept or logged.
    const parsed = CreatedSubscription.safeParse(data);
    if (!parsed.success) throw this.malformed(mailbox, 'POST subscriptions', 'id or expirationDateTime missing or not a time');
    return { channelId: parsed.data.id, resourceId: resource, expiresAt: new Date(parsed.data.expirationDateTime) };
  }

  /** A new expirationDateTime for the subscription (renewal, and reauthorization); its new end. */
  async renew(mailbox: string, subscriptionId: string): Promise<Date> {
    const data = await this.graph.call({
      mailbox,
      method: 'PATCH',
      path: `/subscriptions/${encodeURIComponent(subscriptionId)}`,
      body: { expirationDateTime: this.expiry() },
      what: 'PATCH subscription',
    });
    const parsed = RenewedSubscription.safeParse(data);
    if (!parsed.success) throw this.malformed(mailbox, 'PATCH subscription', 'expirationDateTime missing or not a time');
    return new Date(parsed.data.expirationDateTime);
  }

  /** Deletes the subscription; one Graph no longer has (404) counts as deleted. */
  async delete(mailbox: string, subscriptionId: string): Promise<void> {
    try {
      await this.graph.call({ mailbox, method: 'DELETE', path: `/subscriptions/${encodeURIComponent(subscriptionId)}`, what: 'DELETE subscription' });
    } catch (err) {
      if (!(err instanceof CalendarError) || err.status !== 404) throw err;
    }
  }

  private expiry(): string {
    return new Date(this.now().getTime() + LIFETIME_MINUTES * 60_000).toISOString();
  }

  private malformed(mailbox: string, call: string, problem: string): CalendarError {
    const cause = new MalformedResponseError(`Graph ${call}`, 'subscription', problem);
    return new CalendarError(this.source, mailbox, cause.message, undefined, { cause });
  }
}
