import { randomUUID } from 'node:crypto';
import { accessDenied, accessPolicyDenied, badRequest, GraphApiError, invalidJson, invalidUser, meWithAppOnly } from './errors.js';
import { presentId, refOfItemKey } from './ids.js';
import type { AppGrant } from './identity.js';
import type { Mailbox } from './model.js';
import type { ChangeType, GraphStore, ItemChange } from './store.js';
import type { WebhookSender } from './webhook.js';
import type { SimRequest, SimResponse } from '../kit/server.js';

/**
 * Change notifications on a mailbox's events, as Graph v1.0 serves them through webhooks. Written
 * from learn.microsoft.com/graph:
 * - api/resources/subscription ("Properties", "Subscription lifetime": Outlook message, event and
 *   contact subscriptions live at most 10,080 minutes, "under seven days"; clientState at most
 *   128 characters), api/subscription-post-subscriptions, -update, -delete, -list, -reauthorize;
 * - change-notifications-delivery-webhooks (the validation handshake, the notification body, 2xx
 *   within 3 seconds or retries for up to 4 hours: graph/webhook.ts);
 * - outlook-change-notifications-overview (resources `/users/{id}/events` and `/me/events`, a read
 *   permission such as Calendars.Read is enough);
 * - change-notifications-lifecycle-events (`reauthorizationRequired`, `subscriptionRemoved`,
 *   `missed`, sent to the lifecycleNotificationUrl only, which is validated like the other);
 * - outlook-immutable-id ("Immutable ID with change notifications": a subscription created with
 *   `Prefer: IdType="ImmutableId"` is sent immutable ids, others the default REST ids).
 * Errors as Graph answers them in the field, quoted in public threads: a validation that fails,
 * 400 ValidationError "Subscription validation request failed. Notification endpoint must respond
 * with 200 OK to validation request." (microsoftgraph/nodejs-webhooks-sample#158); one that times
 * out, 400 InvalidRequest "Subscription validation request timed out."
 * (microsoftgraph/microsoft-graph-docs-contrib#7031); an expiry too far, 400 ExtensionError
 * "Subscription expiration can only be N minutes in the future." (ibid. #7726). Renewal and
 * reauthorization validate the notificationUrl again (microsoftgraph/msgraph-sdk-dotnet#2805:
 * "Create or renew or reauthorize subscription ... Subscription validation request timed out").
 * A subscription past its expirationDateTime is gone: nothing is sent for it, and it no longer
 * answers. Simulator choices: `http://` is accepted for loopback endpoints (Graph requires
 * https), so tests need no certificate for a receiver; changes made in the same turn of the event
 * loop go to one endpoint in one POST (Graph batches, at its own pace).
 */

export const OUTLOOK_MAX_MINUTES = 10_080;

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

export interface Subscription {
  id: string;
  /** As the client wrote it. */
  resource: string;
  mailbox: Mailbox;
  changeTypes: ChangeType[];
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  clientState?: string;
  expiresMs: number;
  applicationId: string;
  tenantId: string;
  /** Created with Prefer: IdType="ImmutableId". */
  immutableIds: boolean;
  /** After a reauthorizationRequired that paused delivery, until the app reauthorizes or renews. */
  paused: boolean;
}

const CHANGE_TYPES: readonly ChangeType[] = ['created', 'updated', 'deleted'];
const READ_ROLES = ['Calendars.Read', 'Calendars.ReadWrite', 'Calendars.ReadBasic'];
const EVENTS_RESOURCE = /^\/?users\/([^/]+)\/events$/i;
const ME_RESOURCE = /^\/?me\/events$/i;

interface Pending {
  subscriptions: Set<string>;
  value: Array<Record<string, unknown>>;
}

export class SubscriptionService {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly store: GraphStore,
    private readonly sender: WebhookSender,
    private readonly graphBase: () => string,
    private readonly allows: (grant: AppGrant, mailbox: Mailbox) => boolean,
    /**
     * "a maximum limit of 1000 active subscriptions for Outlook resources per mailbox for all
     * applications" (outlook-change-notifications-overview); beyond it "attempts to create a
     * subscription will result in a 403 Forbidden error response" whose message names the limit
     * (change-notifications-overview, "Supported resources"). Its code and wording are the simulator's.
     */
    private readonly maxPerMailbox = 1_000,
    private readonly maxMinutes = OUTLOOK_MAX_MINUTES,
  ) {
    store.onChange = (change) => this.changed(change);
  }

  /** /v1.0/subscriptions[/{id}[/reauthorize]] for an authenticated app. */
  async handle(req: SimRequest, grant: AppGrant, immutableIds: boolean, rest: string[]): Promise<SimResponse> {
    const [id, action, extra] = rest;
    if (id === undefined) {
      if (req.method === 'POST') return this.create(req, grant, immutableIds);
      if (req.method === 'GET') {
        // An app lists the subscriptions it created (subscription-list.md, application permissions).
        const value = this.list().filter((s) => s.applicationId === grant.clientId);
        return { status: 200, body: { '@odata.context': `${this.graphBase()}/$metadata#subscriptions`, value: value.map((s) => this.present(s)) } };
      }
      throw methodNotAllowed(req);
    }
    const subscription = this.live(id);
    if (!subscription || subscription.applicationId !== grant.clientId) throw subscriptionNotFound(id);
    if (action !== undefined) {
      if (action.toLowerCase() !== 'reauthorize' || extra !== undefined || req.method !== 'POST') throw methodNotAllowed(req);
      await this.validateEndpoints(subscription.notificationUrl);
      subscription.paused = false;
      return { status: 204 };
    }
    switch (req.method) {
      case 'GET':
        return { status: 200, body: this.present(subscription, true) };
      case 'DELETE':
        this.subscriptions.delete(subscription.id);
        return { status: 204 };
      case 'PATCH': {
        const body = object(req);
        const notificationUrl = body.notificationUrl === undefined ? subscription.notificationUrl : endpoint(body.notificationUrl, 'notificationUrl');
        const expiresMs = body.expirationDateTime === undefined ? subscription.expiresMs : this.expiry(body.expirationDateTime);
        await this.validateEndpoints(notificationUrl);
        subscription.notificationUrl = notificationUrl;
        subscription.expiresMs = expiresMs;
        // "renewing your subscription also reauthorizes your endpoint" (lifecycle events page).
        subscription.paused = false;
        return { status: 200, body: this.present(subscription, true) };
      }
    }
    throw methodNotAllowed(req);
  }

  /** Subscriptions still alive, of every app. */
  list(): Subscription[] {
    return [...this.subscriptions.keys()].map((key) => this.live(key)).filter((s): s is Subscription => s !== undefined);
  }

  /** Moves a subscription's expiry to now, as if its time had run out. */
  expire(id: string): void {
    this.mustLive(id).expiresMs = Date.now();
  }

  /**
   * Sends a lifecycle notification, as Graph does when it needs the app to act. With
   * subscriptionRemoved the subscription is gone afterwards; a reauthorizationRequired may pause
   * the change notifications until the app reauthorizes or renews ("eventually change notification
   * delivery pauses, until you take the required action"). Without a lifecycleNotificationUrl
   * nothing is sent ("Existing subscriptions without a lifecycleNotificationUrl property don't
   * receive the lifecycle notifications"), the removal or pause still happens.
   */
  lifecycle(id: string, event: LifecycleEvent, options: { pauseDelivery?: boolean } = {}): void {
    const subscription = this.mustLive(id);
    this.sendLifecycle(subscription, event);
    if (event === 'subscriptionRemoved') this.subscriptions.delete(id);
    if (event === 'reauthorizationRequired' && options.pauseDelivery) subscription.paused = true;
  }

  private sendLifecycle(subscription: Subscription, event: LifecycleEvent): void {
    if (!subscription.lifecycleNotificationUrl) return;
    this.sender.deliver(subscription.lifecycleNotificationUrl, 'lifecycle', {
      value: [
        {
          subscriptionId: subscription.id,
          subscriptionExpirationDateTime: new Date(subscription.expiresMs).toISOString(),
          tenantId: subscription.tenantId,
          clientState: subscription.clientState ?? null,
          lifecycleEvent: event,
        },
      ],
    });
  }

  private async create(req: SimRequest, grant: AppGrant, immutableIds: boolean): Promise<SimResponse> {
    const body = object(req);
    const resource = text(body.resource, 'resource');
    if (ME_RESOURCE.test(resource)) throw meWithAppOnly();
    const match = EVENTS_RESOURCE.exec(resource);
    if (!match) {
      throw badRequest(
        `Invalid resource '${resource}'. (Microsoft Graph simulator: it serves subscriptions to /users/{id}/events only.)`,
        'InvalidRequest',
      );
    }
    const user = decodeURIComponent(match[1]!).replace(/^\('(.*)'\)$/, '$1');
    const mailbox = this.store.mailbox(user);
    if (!mailbox) throw invalidUser(user);
    if (!grant.roles.some((role) => READ_ROLES.includes(role))) throw accessDenied();
    if (!this.allows(grant, mailbox)) throw accessPolicyDenied();
    if (body.includeResourceData === true) {
      throw badRequest('The Microsoft Graph simulator does not send rich notifications (includeResourceData); ask for them to be added.', 'InvalidRequest');
    }
    const changeTypes = text(body.changeType, 'changeType').split(',').map((c) => c.trim());
    for (const changeType of changeTypes) {
      if (!CHANGE_TYPES.includes(changeType as ChangeType)) throw badRequest(`Invalid 'changeType' attribute: '${changeType}'.`, 'InvalidRequest');
    }
    if (body.expirationDateTime === undefined) throw badRequest('expirationDateTime is a required property for subscription creation.', 'InvalidRequest');
    const expiresMs = this.expiry(body.expirationDateTime);
    const notificationUrl = endpoint(body.notificationUrl, 'notificationUrl');
    const lifecycleNotificationUrl = body.lifecycleNotificationUrl === undefined || body.lifecycleNotificationUrl === null ? undefined : endpoint(body.lifecycleNotificationUrl, 'lifecycleNotificationUrl');
    let clientState: string | undefined;
    if (body.clientState !== undefined && body.clientState !== null) {
      clientState = text(body.clientState, 'clientState');
      if (clientState.length > 128) throw badRequest('clientState must be at most 128 characters long.', 'InvalidRequest');
    }
    if (this.list().filter((s) => s.mailbox === mailbox).length >= this.maxPerMailbox) {
      throw new GraphApiError(403, 'ExtensionError', `The mailbox already has ${this.maxPerMailbox} active subscriptions for Outlook resources, the most allowed for all applications together.`);
    }
    await this.validateEndpoints(notificationUrl, lifecycleNotificationUrl);
    const subscription: Subscription = {
      id: randomUUID(),
      resource,
      mailbox,
      changeTypes: CHANGE_TYPES.filter((c) => changeTypes.includes(c)),
      notificationUrl,
      ...(lifecycleNotificationUrl ? { lifecycleNotificationUrl } : {}),
      ...(clientState !== undefined ? { clientState } : {}),
      expiresMs,
      applicationId: grant.clientId,
      tenantId: grant.tenantId,
      immutableIds,
      paused: false,
    };
    this.subscriptions.set(subscription.id, subscription);
    return { status: 201, body: this.present(subscription, true) };
  }

  private async validateEndpoints(...urls: Array<string | undefined>): Promise<void> {
    for (const url of urls) {
      if (url === undefined) continue;
      const outcome = await this.sender.validate(url);
      if (outcome === 'timeout') throw badRequest('Subscription validation request timed out.', 'InvalidRequest');
      if (outcome === 'refused') {
        throw badRequest('Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.', 'ValidationError');
      }
    }
  }

  private expiry(raw: unknown): number {
    const ms = typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
    if (Number.isNaN(ms)) throw badRequest(`Invalid expirationDateTime '${String(raw)}'.`, 'InvalidRequest');
    const now = Date.now();
    if (ms <= now) throw badRequest('Subscription expiration date time must be in the future.', 'InvalidRequest');
    if (ms > now + this.maxMinutes * 60_000) throw new GraphApiError(400, 'ExtensionError', `Subscription expiration can only be ${this.maxMinutes} minutes in the future.`);
    return ms;
  }

  /** The subscription unless it is unknown or expired; an expired one is deleted, as Graph does. */
  private live(id: string): Subscription | undefined {
    const subscription = this.subscriptions.get(id);
    if (subscription && subscription.expiresMs <= Date.now()) {
      this.subscriptions.delete(id);
      return undefined;
    }
    return subscription;
  }

  private mustLive(id: string): Subscription {
    const subscription = this.live(id);
    if (!subscription) throw new Error(`Graph simulator has no live subscription ${id}`);
    return subscription;
  }

  /** An item changed: a notification for every live subscription on its mailbox that wants the change. */
  private changed(change: ItemChange): void {
    for (const id of [...this.subscriptions.keys()]) {
      const subscription = this.live(id);
      if (!subscription || subscription.mailbox !== change.mailbox || subscription.paused) continue;
      if (!subscription.changeTypes.includes(change.changeType)) continue;
      const itemId = presentId(refOfItemKey(change.itemKey), change.idVersion, subscription.immutableIds);
      const path = `Users/${change.mailbox.id}/Events/${itemId}`;
      this.enqueue(subscription, {
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: new Date(subscription.expiresMs).toISOString(),
        changeType: change.changeType,
        resource: path,
        resourceData: {
          '@odata.type': '#Microsoft.Graph.Event',
          '@odata.id': path,
          ...(change.changeKey !== undefined ? { '@odata.etag': `W/"${change.changeKey}"` } : {}),
          id: itemId,
        },
        clientState: subscription.clientState ?? null,
        tenantId: subscription.tenantId,
      });
    }
  }

  /** Gathers the notifications of one turn of the event loop per endpoint into one POST. */
  private enqueue(subscription: Subscription, notification: Record<string, unknown>): void {
    const url = subscription.notificationUrl;
    let batch = this.pending.get(url);
    if (!batch) {
      const fresh: Pending = { subscriptions: new Set(), value: [] };
      this.pending.set(url, fresh);
      batch = fresh;
      setImmediate(() => {
        this.pending.delete(url);
        // Notifications Graph gave up on: each subscription concerned hears `missed` (lifecycle
        // events page: "missed lifecycle events alert you that some change notifications weren't delivered").
        this.sender.deliver(url, 'change', { value: fresh.value }, () => {
          for (const id of fresh.subscriptions) {
            const still = this.live(id);
            if (still) this.sendLifecycle(still, 'missed');
          }
        });
      });
    }
    batch.subscriptions.add(subscription.id);
    batch.value.push(notification);
  }

  /** subscription.md's JSON representation; the context only on answers about one subscription. */
  private present(subscription: Subscription, withContext = false): Record<string, unknown> {
    return {
      ...(withContext ? { '@odata.context': `${this.graphBase()}/$metadata#subscriptions/$entity` } : {}),
      id: subscription.id,
      resource: subscription.resource,
      applicationId: subscription.applicationId,
      changeType: subscription.changeTypes.join(','),
      clientState: subscription.clientState ?? null,
      notificationUrl: subscription.notificationUrl,
      notificationQueryOptions: null,
      lifecycleNotificationUrl: subscription.lifecycleNotificationUrl ?? null,
      expirationDateTime: new Date(subscription.expiresMs).toISOString(),
      creatorId: subscription.applicationId,
      includeResourceData: false,
      latestSupportedTlsVersion: 'v1_2',
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    };
  }
}

function object(req: SimRequest): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = req.json();
  } catch {
    throw invalidJson();
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('A JSON object is required as the request body.', 'InvalidRequest');
  return parsed as Record<string, unknown>;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw badRequest(`${name} is a required property for subscription creation.`, 'InvalidRequest');
  return value;
}

/** An endpoint URL: https, or http on a loopback address (the simulator's allowance for tests). */
function endpoint(value: unknown, name: string): string {
  const raw = text(value, name);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest(`${name} '${raw}' is not an absolute URL.`, 'InvalidRequest');
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw badRequest(`${name} must use https (the Microsoft Graph simulator also accepts http on a loopback address).`, 'InvalidRequest');
  }
  return raw;
}

function subscriptionNotFound(id: string): GraphApiError {
  return new GraphApiError(404, 'ResourceNotFound', `The object was not found. (Microsoft Graph simulator: no live subscription '${id}' of this app.)`);
}

function methodNotAllowed(req: SimRequest): GraphApiError {
  return new GraphApiError(405, 'BadRequest', `The simulator (like Graph) does not support ${req.method} on ${req.path}.`);
}
