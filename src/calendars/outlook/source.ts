import type { CalendarEvent, JoinDetails, WriteBackResult } from '../../domain/event.js';
import { CalendarError, ConfigError, MalformedResponseError, PreconditionFailedError, SyncTokenExpiredError, EventGoneError } from '../../domain/errors.js';
import { silentLogger, type Logger } from '../../log.js';
import type { BackoffOptions } from '../../net/backoff.js';
import { FreshCopies } from '../fresh-copies.js';
import { planJoinClear, planJoinWrite } from '../join-write.js';
import { OutlookCredentials, type OutlookAuthConfig } from './auth.js';
import { bodyWithBlock, bodyWithoutBlock } from './body.js';
import { decodeCursor, roundMismatch } from './delta.js';
import { STAMP_PROPERTY_ID, graphBodyOf, parseGraphEvent, stampValue, toCalendarEvent, type GraphEvent } from './event.js';
import { GraphTransport } from './graph.js';
import { PREFER, readRound, type OutlookCopy, type RoundReader } from './round.js';
import { GraphSubscriptions } from './subscription.js';
import type { RateLimit } from '../../net/request-rate.js';
import type { CalendarSource, ChangeSet, ReadHints, SyncWindow, WatchAnswer, WatchRequest } from '../source.js';

export type { OutlookAuthConfig } from './auth.js';

export interface OutlookSourceConfig {
  /** The configured source name. */
  name: string;
  /** Mailboxes (user principal names) whose primary calendar is read. */
  mailboxes: string[];
  /** The app registration: client credentials of a confidential client in `tenantId`. */
  auth: OutlookAuthConfig;
  /** Graph's origin, https. @default https://graph.microsoft.com */
  graphBaseUrl?: string;
  /** The Microsoft Entra host; the authority is `${authorityHost}/${tenantId}`. @default https://login.microsoftonline.com */
  authorityHost?: string;
  /** @default silentLogger() */
  logger?: Logger;
  /** Backoff for throttling and server errors. @default {maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30000} */
  retry?: Pick<BackoffOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs'>;
  /** Deadline of every request, Graph and the authority alike, reading the answer included. @default 30000 */
  requestTimeoutMs?: number;
  /** Where this source sits in the config file, for messages. @default `source "<name>"` */
  configPath?: string;
  /** `Prefer: odata.maxpagesize` of calendarView/delta. @default 100 */
  pageSize?: number;
  /** Requests in flight per mailbox; Outlook allows 4. @default 4 */
  maxConcurrentPerMailbox?: number;
  /** Requests per mailbox over time (Outlook: 10,000 per 10 minutes; outlook/graph.ts). @default no limit */
  rateLimit?: RateLimit;
  /**
   * How far past the window's end a delta round reaches. The window moves with the clock but a
   * round's is fixed, so a new round (a full read) starts when the window's end passes the
   * round's: about once every `roundSlackDays`. @default 7
   */
  roundSlackDays?: number;
  /** Told the HTTP status of every Graph attempt ('error' when no answer came): the daemon's metrics. */
  onAttempt?: (status: number | 'error') => void;
}

export const FULL_READ_REASON_EXPIRED = 'delta link expired (HTTP 410 / syncStateNotFound); reading the window afresh';
export const FULL_READ_REASON_FOREIGN = 'the stored cursor is not an Outlook delta cursor; reading the window afresh';

const DAY = 86_400_000;
/** Write-back rounds when the event changes under us (412 on If-Match): the first try and one more. */
const WRITE_ROUNDS = 2;

/** An event PATCH body: only what changes (event-update.md). */
interface PatchBody {
  body?: { contentType: 'html' | 'text'; content: string };
  location?: { displayName: string };
  singleValueExtendedProperties?: Array<{ id: string; value: string }>;
}

/**
 * The Outlook / Microsoft 365 adapter: one mailbox's primary calendar per calendar id, read with
 * calendarView/delta over the sync window, written back with PATCH. The Graph client and msal send
 * every request (outlook/graph.ts, outlook/auth.ts); what a round means is decided in
 * outlook/delta.ts and what an event is in outlook/event.ts.
 */
export class OutlookSource implements CalendarSource {
  readonly name: string;
  readonly calendars: readonly string[];
  private readonly graph: GraphTransport;
  private readonly credentials: OutlookCredentials;
  private readonly logger: Logger;
  private readonly origin: URL;
  private readonly pageSize: number;
  private readonly slackMs: number;
  private readonly maxConcurrent: number;
  private readonly configPath: string;
  private readonly reader: RoundReader;
  private readonly subscriptions: GraphSubscriptions;
  /** The organizer copies the last round of each mailbox returned, for the write-back after it. */
  private readonly fresh = new FreshCopies<OutlookCopy>();

  constructor(config: OutlookSourceConfig) {
    this.name = config.name;
    this.calendars = [...config.mailboxes];
    this.configPath = config.configPath ?? `source "${config.name}"`;
    this.logger = (config.logger ?? silentLogger()).child({ source: config.name });
    this.origin = httpsOrigin(config.graphBaseUrl ?? 'https://graph.microsoft.com', `${this.configPath}.graphBaseUrl`);
    const authority = httpsOrigin(config.authorityHost ?? 'https://login.microsoftonline.com', `${this.configPath}.authorityHost`);
    const timeoutMs = config.requestTimeoutMs ?? 30_000;
    this.pageSize = Math.max(1, Math.floor(config.pageSize ?? 100));
    this.slackMs = Math.max(0, config.roundSlackDays ?? 7) * DAY;
    this.maxConcurrent = Math.max(1, config.maxConcurrentPerMailbox ?? 4);
    this.credentials = new OutlookCredentials(config.auth, {
      source: config.name,
      configPath: this.configPath,
      authorityHost: authority.origin,
      graphOrigin: this.origin.origin,
      timeoutMs,
      logger: this.logger,
    });
    this.graph = new GraphTransport({
      source: config.name,
      configPath: this.configPath,
      clientId: config.auth.clientId,
      origin: this.origin,
      credentials: this.credentials,
      timeoutMs,
      retry: { ...config.retry },
      onAttempt: config.onAttempt,
      maxConcurrent: this.maxConcurrent,
      rateLimit: config.rateLimit,
      logger: this.logger,
    });
    this.reader = {
      source: this.name,
      origin: this.origin,
      configPath: this.configPath,
      pageSize: this.pageSize,
      maxConcurrent: this.maxConcurrent,
      logger: this.logger,
      graph: this.graph,
      fetchEvent: (mailbox, eventId) => this.fetchEvent(mailbox, eventId),
      map: (event, mailbox, call) => this.map(event, mailbox, call),
      parse: (mailbox, run) => this.parse(mailbox, run),
      keepCopies: (mailbox, copies) => this.fresh.replace(mailbox, copies),
    };
    this.subscriptions = new GraphSubscriptions(this.graph, this.name, (mailbox) => this.mailboxPath(mailbox));
  }

  /** Push (issue 18): Graph change notifications, one subscription per mailbox (subscription.ts). */
  readonly pushProvider = 'graph' as const;

  /** A subscription on the mailbox's events; `request.token` is its clientState. */
  watch(mailbox: string, request: WatchRequest): Promise<WatchAnswer> {
    return this.subscriptions.create(mailbox, request);
  }

  /** PATCH expirationDateTime: the subscription lives on with the same id and clientState. */
  renewWatch(mailbox: string, channel: { channelId: string }): Promise<Date> {
    return this.subscriptions.renew(mailbox, channel.channelId);
  }

  unwatch(mailbox: string, channel: { channelId: string }): Promise<void> {
    return this.subscriptions.delete(mailbox, channel.channelId);
  }

  /** Graph requests (every attempt), retries, forced token refreshes, and requests to the authority. */
  get stats(): { requests: number; retries: number; tokenRefreshes: number; authorityRequests: number } {
    return { ...this.graph.stats, authorityRequests: this.credentials.authorityRequests };
  }

  async readChanges(mailbox: string, cursor: string | null, window: SyncWindow, hints?: ReadHints): Promise<ChangeSet> {
    this.fresh.drop(mailbox);
    if (!cursor) return this.fullRound(mailbox, window, hints);
    const stored = decodeCursor(cursor);
    if (!stored) return this.fullRound(mailbox, window, hints, FULL_READ_REASON_FOREIGN);
    if (new URL(stored.deltaLink).origin !== this.origin.origin) {
      // graphBaseUrl changed since: the old link is never followed (the token would go with it).
      return this.fullRound(mailbox, window, hints, `the stored delta link belongs to another Graph host than ${this.configPath}.graphBaseUrl; reading the window afresh`);
    }
    const moved = roundMismatch(stored, window);
    if (moved) return this.fullRound(mailbox, window, hints, moved);
    try {
      return await readRound(this.reader, mailbox, { link: stored.deltaLink, from: stored.from, to: stored.to, series: stored.series, full: false, ...(hints ? { hints } : {}) });
    } catch (err) {
      if (!(err instanceof SyncTokenExpiredError)) throw err;
      this.logger.info({ mailbox }, 'Graph delta link expired; reading the window afresh');
      return this.fullRound(mailbox, window, hints, FULL_READ_REASON_EXPIRED);
    }
  }

  async getEvent(mailbox: string, eventId: string): Promise<CalendarEvent | null> {
    const event = await this.fetchEvent(mailbox, eventId);
    return event ? this.map(event, mailbox, 'GET event') : null;
  }

  /**
   * A read that changes nothing, for `meetsync doctor`: an access token and one event of the
   * mailbox's calendarView over the next day. Throws as readChanges does.
   */
  async probe(mailbox: string): Promise<void> {
    const from = new Date();
    const to = new Date(from.getTime() + DAY);
    await this.graph.call({
      mailbox,
      method: 'GET',
      path: `${this.mailboxPath(mailbox)}/calendarView?startDateTime=${from.toISOString()}&endDateTime=${to.toISOString()}&$top=1&$select=id`,
      headers: { Prefer: PREFER },
      what: 'GET calendarView',
    });
  }

  async writeJoinDetails(mailbox: string, eventId: string, details: JoinDetails): Promise<WriteBackResult> {
    return this.patchOrganizerCopy(mailbox, eventId, { what: 'write join details', ifGone: 'throw', stampNeeded: false }, (event, current) => {
      const plan = planJoinWrite(current, details);
      if (!plan) return null;
      const patch: PatchBody = {};
      if (plan.description !== undefined) patch.body = bodyWithBlock(graphBodyOf(event), details);
      if (plan.location !== undefined) patch.location = { displayName: plan.location };
      if (plan.stamp) patch.singleValueExtendedProperties = [{ id: STAMP_PROPERTY_ID, value: stampValue(plan.stamp) }];
      return patch;
    });
  }

  async clearJoinDetails(mailbox: string, eventId: string): Promise<WriteBackResult> {
    return this.patchOrganizerCopy(mailbox, eventId, { what: 'clear join details', ifGone: 'skip', stampNeeded: true }, (event, current) => {
      const plan = planJoinClear(current);
      if (!plan) return null;
      const patch: PatchBody = {};
      if (plan.description !== undefined) patch.body = bodyWithoutBlock(graphBodyOf(event));
      if (plan.location !== undefined) patch.location = { displayName: '' };
      // Graph documents no way to delete an extended property: an empty value is "no stamp" (outlook/event.ts).
      if (plan.removeStamp) patch.singleValueExtendedProperties = [{ id: STAMP_PROPERTY_ID, value: stampValue(null) }];
      return patch;
    });
  }

  /**
   * The write-back both paths share. Graph notifies the attendees on every PATCH of the
   * organizer's event (PROVIDERS.md), so the event is read first (with the stamp) and PATCHed
   * only with what differs; the same details twice send nothing. If-Match carries the etag read:
   * should the organizer edit the event meanwhile, Graph answers 412 ("A precondition provided
   * in the request (such as an if-match header) does not match", errors.md) and the event is
   * read again instead of their edit being overwritten.
   *
   * The event as this cycle's round returned it saves the GET (fresh-copies.ts): If-Match with
   * its etag guards the PATCH just the same. A delta item carries no stamp (outlook/delta.ts);
   * writing needs none (the stamp is written whatever it was, and an item without our block has
   * none), but clearing must know whether to remove one, so it starts only from a GET's copy.
   */
  private async patchOrganizerCopy(
    mailbox: string,
    eventId: string,
    job: { what: string; ifGone: 'throw' | 'skip'; stampNeeded: boolean },
    plan: (event: GraphEvent, current: CalendarEvent) => PatchBody | null,
  ): Promise<WriteBackResult> {
    const kept = this.fresh.take(mailbox, eventId);
    let copy = kept && (kept.stampRead || !job.stampNeeded) ? kept.event : undefined;
    // The rounds count reads: a PATCH from the round's copy that meets a 412 still gets its GET and one more try.
    for (let round = copy ? 0 : 1; ; round += 1) {
      const event = copy ?? (await this.fetchEvent(mailbox, eventId));
      copy = undefined;
      if (!event || event.isCancelled === true) {
        if (job.ifGone === 'skip') return { changed: false };
        throw new EventGoneError(this.name, mailbox, `cannot ${job.what}: event ${eventId} is ${event ? 'cancelled' : 'gone'}`, event ? undefined : 404);
      }
      const current = this.map(event, mailbox, 'GET event');
      if (event.isOrganizer !== true) {
        const organizer = current.organizerEmail ? ` (organizer ${current.organizerEmail})` : '';
        throw new CalendarError(this.name, mailbox, `refusing to ${job.what} on event ${eventId}: this is an attendee's copy${organizer}; only the organizer's copy is written`);
      }
      const patch = plan(event, current);
      if (!patch) return current.etag ? { changed: false, etag: current.etag } : { changed: false };
      const etag = event['@odata.etag'];
      try {
        const data = await this.graph.call({
          mailbox,
          method: 'PATCH',
          path: this.eventPath(mailbox, eventId),
          headers: { Prefer: PREFER, ...(etag ? { 'If-Match': etag } : {}) },
          body: patch,
          what: 'PATCH event',
        });
        const written = parseGraphEvent(data ?? {}, 'Graph PATCH event');
        const newTag = written['@odata.etag'] ?? written.changeKey;
        return newTag ? { changed: true, etag: newTag } : { changed: true };
      } catch (err) {
        if (err instanceof MalformedResponseError) return { changed: true };
        if (!(err instanceof PreconditionFailedError) || round >= WRITE_ROUNDS) throw err;
        this.logger.info({ mailbox, eventId, round }, `event changed during ${job.what} (HTTP 412); reading it again`);
      }
    }
  }

  private fullRound(mailbox: string, window: SyncWindow, hints: ReadHints | undefined, reason?: string): Promise<ChangeSet> {
    const from = window.from.toISOString();
    const to = new Date(window.to.getTime() + this.slackMs).toISOString();
    const link = `${this.mailboxPath(mailbox)}/calendarView/delta?startDateTime=${from}&endDateTime=${to}`;
    return readRound(this.reader, mailbox, { link, from, to, series: [], full: true, ...(hints ? { hints } : {}), ...(reason ? { fullReason: reason } : {}) });
  }

  /** GET of one event with our stamp; null only when Graph says the item does not exist. */
  private async fetchEvent(mailbox: string, eventId: string): Promise<GraphEvent | null> {
    // "Make sure you apply URL encoding to the space characters in the filter string"
    // (singlevaluelegacyextendedproperty-get.md).
    const expand = `singleValueExtendedProperties($filter=id eq '${STAMP_PROPERTY_ID}')`.replace(/ /g, '%20');
    const data = await this.graph.callOrGone({
      mailbox,
      method: 'GET',
      path: `${this.eventPath(mailbox, eventId)}?$expand=${expand}`,
      headers: { Prefer: PREFER },
      what: 'GET event',
    });
    if (data === null) return null;
    return this.parse(mailbox, () => parseGraphEvent(data));
  }

  private mailboxPath(mailbox: string): string {
    // App-only calls address /users/{id | userPrincipalName}, never /me (PROVIDERS.md).
    return `/users/${encodeURIComponent(mailbox).replace(/%40/g, '@')}`;
  }

  /**
   * An event of the calendar the adapter reads (the mailbox's primary one, which calendarView/delta
   * covers), never of the whole mailbox. With `Prefer: IdType="ImmutableId"` an item's id "will NOT
   * change if the item is moved to a different folder in the mailbox" (learn.microsoft.com/graph/
   * outlook-immutable-id), and deleting it in Outlook "moves the item from the containing folder to
   * the Deleted Items folder" (learn.microsoft.com/office/vba/api/outlook.appointmentitem.delete):
   * `/users/{id}/events/{id}` may then still answer for an event deleted, or dragged into another
   * calendar, and its meeting would be kept. `/users/{id}/calendar/events/{id}` (event-get.md,
   * event-update.md: the same operations addressed through the user's calendar) answers only
   * while the event is in the primary calendar; the 404 outside it is the provider's word that the
   * event left what meetsync syncs, so its meeting is cancelled as for a deletion (README, "How it
   * reads Outlook"). The PATCH goes the same way, so a write never lands in Deleted Items.
   */
  private eventPath(mailbox: string, eventId: string): string {
    return `${this.mailboxPath(mailbox)}/calendar/events/${encodeURIComponent(eventId)}`;
  }

  private map(event: GraphEvent, mailbox: string, call: string): CalendarEvent {
    return this.parse(mailbox, () => toCalendarEvent(event, { source: this.name, calendarId: mailbox, what: `Graph ${call} (event ${event.id})` }));
  }

  /** Runs a parse; a malformed answer becomes a CalendarError of this mailbox naming the field. */
  private parse<T>(mailbox: string, run: () => T): T {
    try {
      return run();
    } catch (err) {
      if (!(err instanceof MalformedResponseError)) throw err;
      throw new CalendarError(this.name, mailbox, err.message, undefined, { cause: err });
    }
  }
}

/**
 * A configured base URL as an https origin. The Graph client sends the token only over https
 * (outlook/graph.ts) and msal accepts only https authorities; a path would be lost on the links
 * Graph returns, which the client splits into host, version and path.
 */
function httpsOrigin(value: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${path}: "${value}" is not a URL`, [{ path, message: 'not a URL' }]);
  }
  if (url.protocol !== 'https:') {
    throw new ConfigError(`${path}: must be an https URL (the access token is sent only over https)`, [{ path, message: 'must be https' }]);
  }
  if (url.pathname !== '/' || url.search !== '') {
    throw new ConfigError(`${path}: give the origin only (e.g. https://graph.microsoft.com), without a path`, [{ path, message: 'origin only, no path' }]);
  }
  return url;
}
