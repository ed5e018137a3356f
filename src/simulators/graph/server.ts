import { GraphApi, unknownSegment, type AccessPolicy } from './api.js';
import { graphControl } from './control.js';
import { DeltaService } from './delta.js';
import { graphErrorBody, GraphApiError } from './errors.js';
import { graphFaultWire } from './faults.js';
import { immutableId, restId } from './ids.js';
import { GraphIdentity } from './identity.js';
import { parseEventInput } from './input.js';
import type { Mailbox, Notification, Target } from './model.js';
import { presentEvent } from './present.js';
import { GraphStore } from './store.js';
import { SubscriptionService, type LifecycleEvent, type Subscription } from './subscriptions.js';
import { defaultRetryDelays, WebhookSender, type Delivery } from './webhook.js';
import type { GraphClient, GraphEvent } from './types.js';
import { SimServer, Simulator, type SimRequest, type SimResponse, type SimServerOptions } from '../kit/server.js';
import type { TlsMaterial } from '../kit/tls.js';

export type { GraphClient, GraphEvent } from './types.js';
export type { Notification } from './model.js';
export type { AccessPolicy } from './api.js';
export type { Delivery } from './webhook.js';
export type { LifecycleEvent } from './subscriptions.js';

/**
 * A Microsoft Graph simulator: ONE real HTTP(S) server that hosts both the Microsoft identity
 * platform endpoints (under /{tenant}/…, plus /common/discovery/instance) and Graph v1.0 (under
 * /v1.0/…). A client uses `authority(tenantId)` as its MSAL authority (with the simulator's host
 * in knownAuthorities) and `graphBaseUrl` as its Graph base URL. Written from Microsoft's
 * documents only (STYLE.md habit 7): learn.microsoft.com Graph pages (event resource, event get /
 * update / delete / instances, event: delta and delta-query-events, delta-query-overview, errors,
 * throttling, outlook-immutable-id, singleValueLegacyExtendedProperty, calendar), Outlook's
 * AppointmentItem.Delete (an item deleted moves to Deleted Items), and the identity platform's
 * client credentials flow with a secret or a certificate (certificate-credentials); what MSAL
 * asks the authority was read in msal-common's Authority.ts, the client assertion it signs in
 * msal-node's ClientAssertion.ts.
 */

export interface GraphSimulatorOptions {
  tls?: TlsMaterial;
  port?: number;
  host?: string;
  onResponded?: SimServerOptions['onResponded'];
  /** App registrations the token endpoint accepts (client credentials). */
  clients?: GraphClient[];
  /** Mailbox addresses to create at once. */
  mailboxes?: string[];
  /** expires_in of access tokens (default 3599). */
  tokenLifetimeSeconds?: number;
  /** Items per page without `Prefer: odata.maxpagesize` or $top (a simulator choice; default 10). */
  defaultPageSize?: number;
  /** Every Graph request on a mailbox waits this long, so concurrency can be seen (default 0). */
  latencyMs?: number;
  /** Concurrent requests per mailbox beyond which Graph answers 429 (default 4; false = never). */
  mailboxConcurrencyLimit?: number | false;
  /**
   * start/end of a request without `Prefer: outlook.timezone`: 'UTC' as Microsoft documents
   * (default), or 'original' (the event's own zone) to test clients that forget the header.
   */
  zoneWithoutPreference?: 'UTC' | 'original';
  /**
   * Change notifications (graph/webhook.ts): the waits before each retry of a notification not
   * answered 2xx (default 10 s doubling within 4 hours), the deadline of one notification (default
   * 3000 ms) and of the validation request (default 10000 ms), and the active subscriptions one
   * mailbox may have (default 1000), as Microsoft documents them.
   */
  notifications?: { retryDelaysMs?: number[]; timeoutMs?: number; validationTimeoutMs?: number; maxSubscriptionsPerMailbox?: number };
}

/** A subscription as the control methods show it. */
export interface SubscriptionView {
  id: string;
  resource: string;
  mailbox: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  paused: boolean;
}

/** An event as the control methods take it: the Graph JSON of POST /events, plus an organizer. */
export type UserEventInput = Record<string, unknown>;

export class GraphSimulator extends Simulator {
  readonly server: SimServer;
  private readonly store = new GraphStore();
  private readonly identity: GraphIdentity;
  private readonly delta: DeltaService;
  private readonly api: GraphApi;
  private readonly webhooks: WebhookSender;
  private readonly subscriptionService: SubscriptionService;
  private latency: number;

  constructor(options: GraphSimulatorOptions = {}) {
    super();
    this.latency = options.latencyMs ?? 0;
    this.identity = new GraphIdentity(() => this.url, options.tokenLifetimeSeconds ?? 3599);
    for (const client of options.clients ?? []) this.identity.addClient(client);
    this.delta = new DeltaService(this.store, () => this.graphBaseUrl, options.defaultPageSize ?? 10);
    this.api = new GraphApi(this.store, this.identity, this.delta, () => this.graphBaseUrl, {
      defaultPageSize: options.defaultPageSize ?? 10,
      latencyMs: () => this.latency,
      concurrencyLimit: options.mailboxConcurrencyLimit ?? 4,
      zoneWithoutPreference: options.zoneWithoutPreference ?? 'UTC',
      subscriptions: () => this.subscriptionService,
    });
    this.webhooks = new WebhookSender({
      retryDelaysMs: options.notifications?.retryDelaysMs ?? defaultRetryDelays(),
      timeoutMs: options.notifications?.timeoutMs ?? 3_000,
      validationTimeoutMs: options.notifications?.validationTimeoutMs ?? 10_000,
    });
    this.subscriptionService = new SubscriptionService(
      this.store,
      this.webhooks,
      () => this.graphBaseUrl,
      (grant, mailbox) => this.api.policyAllows(grant, mailbox),
      options.notifications?.maxSubscriptionsPerMailbox,
    );
    for (const address of options.mailboxes ?? []) this.store.addMailbox(address);
    this.server = new SimServer((req) => this.handle(req), {
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.onResponded ? { onResponded: options.onResponded } : {}),
      faultWire: graphFaultWire,
      control: graphControl(this),
    });
  }

  override async start(): Promise<string> {
    this.webhooks.restart();
    return super.start();
  }

  /** Stops the server and every notification still to be sent or retried. */
  override async stop(): Promise<void> {
    this.webhooks.stop();
    await super.stop();
  }

  /** Live subscriptions (change notifications), of every app. */
  subscriptions(): SubscriptionView[] {
    return this.subscriptionService.list().map((s: Subscription) => ({
      id: s.id,
      resource: s.resource,
      mailbox: s.mailbox.address,
      changeType: s.changeTypes.join(','),
      notificationUrl: s.notificationUrl,
      lifecycleNotificationUrl: s.lifecycleNotificationUrl ?? null,
      expirationDateTime: new Date(s.expiresMs).toISOString(),
      paused: s.paused,
    }));
  }

  /** The subscription's time runs out now: it sends nothing more and answers 404. */
  expireSubscription(id: string): void {
    this.subscriptionService.expire(id);
  }

  /**
   * Graph sends a lifecycle notification for the subscription: subscriptionRemoved also removes
   * it; reauthorizationRequired with pauseDelivery holds its change notifications (they are lost)
   * until the app reauthorizes or renews it.
   */
  sendLifecycleNotification(id: string, event: LifecycleEvent, options: { pauseDelivery?: boolean } = {}): void {
    this.subscriptionService.lifecycle(id, event, options);
  }

  /** Every request sent to subscribers' endpoints (validations, notifications and their retries), oldest first. */
  deliveries(): Delivery[] {
    return [...this.webhooks.deliveries];
  }

  /** MSAL's authority for a tenant, e.g. https://127.0.0.1:PORT/<tenantId>. */
  authority(tenantId: string): string {
    return `${this.url}/${tenantId}`;
  }

  /** host:port, for MSAL's knownAuthorities. */
  get authorityHost(): string {
    return new URL(this.url).host;
  }

  tokenUrl(tenantId: string): string {
    return `${this.authority(tenantId)}/oauth2/v2.0/token`;
  }

  /** The Graph base URL, like https://graph.microsoft.com/v1.0. */
  get graphBaseUrl(): string {
    return `${this.url}/v1.0`;
  }

  addClient(client: GraphClient): void {
    this.identity.addClient(client);
  }

  addTenantDomain(domain: string, tenantId: string): void {
    this.identity.addTenantDomain(domain, tenantId);
  }

  /**
   * What New-ApplicationAccessPolicy does in Exchange Online: with RestrictAccess the app reaches
   * only `mailboxes`, with DenyAccess all but them; any other mailbox answers 403 ErrorAccessDenied
   * "Access to OData is disabled." (auth-limit-mailbox-access.md). null removes the policy.
   */
  setApplicationAccessPolicy(clientId: string, policy: AccessPolicy | null): void {
    this.api.setAccessPolicy(clientId, policy);
  }

  /** Outstanding access tokens answer 401 InvalidAuthenticationToken on their next use. */
  expireAccessTokens(): void {
    this.identity.expireAccessTokens();
  }

  /** The client's secret is refused (AADSTS7000222) from now on. */
  expireClientSecret(clientId: string): void {
    this.identity.expireClientSecret(clientId);
  }

  addMailbox(address: string, options: { displayName?: string; id?: string } = {}): { id: string; address: string } {
    const mailbox = this.store.addMailbox(address, options);
    return { id: mailbox.id, address: mailbox.address };
  }

  /**
   * Creates an event as the user would in Outlook (its attendees in the simulator get copies).
   * With `organizer: {emailAddress: {address}}` naming someone else, it is an invitation received
   * from outside the simulator instead (isOrganizer false).
   */
  userInsert(mailbox: string, event: UserEventInput): GraphEvent {
    const box = this.mustMailbox(mailbox);
    const { organizer, ...rest } = event;
    const address = (organizer as { emailAddress?: { address?: string; name?: string } } | undefined)?.emailAddress;
    const from = address?.address ? { name: address.name ?? address.address, address: address.address } : undefined;
    return this.show({ event: this.store.create(box, parseEventInput(rest), from) });
  }

  userPatch(mailbox: string, eventId: string, patch: UserEventInput): GraphEvent {
    const box = this.mustMailbox(mailbox);
    const target = this.store.update(box, this.store.resolve(box, eventId), parseEventInput(patch), { api: false });
    return this.show(target);
  }

  /**
   * The user deletes an event. 'permanent' (the default, which the older tests were written
   * against) removes it at once, as Shift+Delete or emptying Deleted Items does. 'deleted-items'
   * is what Outlook's Delete does to an item: it "moves the item from the containing folder to
   * the Deleted Items folder" (learn.microsoft.com/office/vba/api/outlook.appointmentitem.delete),
   * where it keeps its immutable id and answers `/users/{id}/events/{id}`
   * (learn.microsoft.com/graph/outlook-immutable-id). An occurrence is always cancelled in its series.
   */
  userDelete(mailbox: string, eventId: string, options: { mode?: 'permanent' | 'deleted-items' } = {}): void {
    const box = this.mustMailbox(mailbox);
    const target = this.store.resolve(box, eventId);
    if (options.mode === 'deleted-items' && !target.occurrence && target.event.folder !== box.deletedItems) this.store.moveToDeletedItems(box, target);
    else this.store.remove(box, target, { api: false });
  }

  /** A further calendar in the mailbox, as the user adds one in Outlook; its id. */
  addCalendar(mailbox: string, name: string): { id: string; name: string } {
    const calendar = this.store.addCalendar(this.mustMailbox(mailbox), name);
    return { id: calendar.id, name: calendar.name };
  }

  /** The calendars of a mailbox, the default first, and the id of its Deleted Items folder. */
  folders(mailbox: string): { calendars: Array<{ id: string; name: string; isDefaultCalendar: boolean }>; deletedItems: string } {
    const box = this.mustMailbox(mailbox);
    return { calendars: box.calendars.map((c) => ({ ...c })), deletedItems: box.deletedItems };
  }

  /** The user drags an event into another calendar of the mailbox (a calendar id) or into Deleted Items ('deleteditems'). */
  userMoveEventTo(mailbox: string, eventId: string, to: string): void {
    const box = this.mustMailbox(mailbox);
    this.store.moveTo(box, this.store.resolve(box, eventId), to.toLowerCase() === 'deleteditems' ? box.deletedItems : to);
  }

  /** Changes one occurrence (original date yyyy-MM-dd in the series' zone): it becomes an exception. */
  userEditOccurrence(mailbox: string, seriesId: string, originalDate: string, patch: UserEventInput): GraphEvent {
    return this.userPatch(mailbox, this.occurrenceId(mailbox, seriesId, originalDate), patch);
  }

  userCancelOccurrence(mailbox: string, seriesId: string, originalDate: string): void {
    this.userDelete(mailbox, this.occurrenceId(mailbox, seriesId, originalDate));
  }

  /** The item moves to another folder and back: its REST id changes, its immutable id does not. */
  userMoveEvent(mailbox: string, eventId: string): void {
    const box = this.mustMailbox(mailbox);
    this.store.move(box, this.store.resolve(box, eventId));
  }

  /** The (immutable, unless asked otherwise) id of a series' occurrence on its original date. */
  occurrenceId(mailbox: string, seriesId: string, originalDate: string, idType: 'immutable' | 'rest' = 'immutable'): string {
    const box = this.mustMailbox(mailbox);
    const { event } = this.store.resolve(box, seriesId);
    const ref = { key: event.key, occurrence: originalDate };
    const id = idType === 'immutable' ? immutableId(ref) : restId(ref, event.idVersion);
    this.store.resolve(box, id);
    return id;
  }

  /** The REST (default-format) id of an event named by either id format. */
  restIdOf(mailbox: string, eventId: string): string {
    const box = this.mustMailbox(mailbox);
    const { event, occurrence } = this.store.resolve(box, eventId);
    return restId(occurrence ? { key: event.key, occurrence } : { key: event.key }, event.idVersion);
  }

  /** Single events and series masters of a mailbox, in UTC with immutable ids and extended properties. */
  events(mailbox: string): GraphEvent[] {
    const box = this.mustMailbox(mailbox);
    return [...box.events.values()].map((event) => this.show({ event }));
  }

  /** One event (occurrences too) as the API would answer it in UTC with immutable ids, or undefined. */
  getEvent(mailbox: string, eventId: string): GraphEvent | undefined {
    const box = this.mustMailbox(mailbox);
    try {
      return this.show(this.store.resolve(box, eventId));
    } catch (err) {
      if (err instanceof GraphApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Attendee notifications caused by API writes on this organizer's event (PATCH = update, DELETE = cancel). */
  notifications(mailbox: string, eventId: string): Notification[] {
    const box = this.mustMailbox(mailbox);
    return [...this.store.resolve(box, eventId).event.notifications];
  }

  /** Outstanding delta and skip tokens (of one mailbox, or all) answer 410 syncStateNotFound. */
  expireDeltaTokens(mailbox?: string): void {
    const boxes = mailbox ? [this.mustMailbox(mailbox)] : this.store.allMailboxes();
    for (const box of boxes) box.deltaGeneration += 1;
  }

  /** The next `rounds` delta rounds send occurrences/exceptions (or, with all, every item) stripped. */
  injectStrippedDelta(mailbox: string, options: { rounds?: number; all?: boolean } = {}): void {
    const faults = this.delta.faultsOf(this.mustMailbox(mailbox));
    faults.strip += options.rounds ?? 1;
    faults.stripAll = options.all ?? false;
  }

  /** The next round sends each item twice ('within-round'), or the previous round's items again ('next-round'). */
  injectDeltaReplay(mailbox: string, mode: 'within-round' | 'next-round', rounds = 1): void {
    const faults = this.delta.faultsOf(this.mustMailbox(mailbox));
    if (mode === 'within-round') faults.replayWithin += rounds;
    else faults.replayNext += rounds;
  }

  /** The next `count` Graph calls (of one mailbox, or any) answer 429 or 503 with Retry-After. */
  injectThrottle(count: number, options: { status?: 429 | 503; retryAfterSeconds?: number; mailbox?: string; method?: string } = {}): void {
    this.api.inject({
      status: options.status ?? 429,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
      remaining: count,
      ...(options.mailbox ? { mailbox: this.mustMailbox(options.mailbox) } : {}),
      ...(options.method ? { method: options.method } : {}),
    });
  }

  /** The next `count` delta requests (of one mailbox, or any) answer 410 syncStateNotFound, whatever their token. */
  injectDeltaGone(count = 1, mailbox?: string): void {
    this.api.inject({ status: 410, remaining: count, deltaOnly: true, ...(mailbox ? { mailbox: this.mustMailbox(mailbox) } : {}) });
  }

  setLatency(ms: number): void {
    this.latency = ms;
  }

  /** Requests in flight on a mailbox now, and the most there ever were at once. */
  concurrency(mailbox: string): { inFlight: number; max: number } {
    const box = this.mustMailbox(mailbox);
    return { inFlight: box.inFlight, max: box.maxInFlight };
  }

  resetConcurrency(mailbox: string): void {
    this.mustMailbox(mailbox).maxInFlight = 0;
  }

  private show(target: Target): GraphEvent {
    const expand = [...new Set(target.event.extended.map((p) => p.id))];
    return presentEvent(target.event, target.occurrence, { immutableIds: true, bodyAsText: false, expand });
  }

  private mustMailbox(idOrUpn: string): Mailbox {
    const box = this.store.mailbox(idOrUpn);
    if (!box) throw new Error(`Graph simulator has no mailbox ${idOrUpn}; call addMailbox first`);
    return box;
  }

  private handle(req: SimRequest): SimResponse | Promise<SimResponse> {
    const identity = this.identity.handle(req);
    if (identity) return identity;
    if (/^\/v1\.0(\/|$)/i.test(req.path)) return this.api.handle(req);
    const error = unknownSegment(req, req.path.split('/').filter(Boolean)[0] ?? '');
    return { status: 404, body: graphErrorBody('NotFound', error.message) };
  }
}
