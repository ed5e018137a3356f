import { googleControl } from './control.js';
import {
  backendErrorBody,
  badRequest,
  fullSyncRequired,
  GoogleApiError,
  notFound,
  rateLimitBody,
} from './errors.js';
import { present } from './event.js';
import { googleFaultWire } from './faults.js';
import { EventLister } from './list.js';
import { canAccess, GoogleOAuth, primaryCalendarOf } from './oauth.js';
import { GoogleStore, type CalendarState } from './store.js';
import { GooglePush, type PushDelivery, type PushOptions } from './push.js';
import { instanceId, type Occurrence } from './time.js';
import type { GoogleEvent, OAuthClient, ServiceAccountKey } from './types.js';
import { header, SimServer, Simulator, type SimRequest, type SimResponse, type SimServerOptions } from '../kit/server.js';
import type { TlsMaterial } from '../kit/tls.js';

export type { GoogleEvent, GoogleEventDateTime, GoogleAttendee, OAuthClient, ServiceAccountKey } from './types.js';

/**
 * A Google Calendar API v3 simulator: a real HTTP(S) server with in-memory state that the real
 * googleapis SDK talks to (rootUrl = this.rootUrl, OAuth2 token URL = this.tokenUrl).
 * Serves /calendar/v3/calendars/{calendarId}/events[/{eventId}] and POST /token; anything else
 * is a loud 404 naming the path. Written from Google's documents only (STYLE.md habit 7):
 * the Calendar v3 reference and discovery document, guides/sync, guides/errors, and the OAuth 2.0
 * server-side and service-account guides.
 */

export interface GoogleSimulatorOptions {
  tls?: TlsMaterial;
  port?: number;
  host?: string;
  onResponded?: SimServerOptions['onResponded'];
  /** OAuth clients accepted by the token endpoint's refresh_token grant */
  oauthClients?: OAuthClient[];
  /** default page size when maxResults absent (Google: 250) */
  defaultPageSize?: number;
  /** Every Calendar API request waits this long before it is answered, so concurrency can be seen (default 0). */
  latencyMs?: number;
  /** Push notification channels: their lifetime and the retries of a failed delivery (push.ts). */
  push?: PushOptions;
}

/** Calendar API requests being answered now, and the most there ever were at once (overall and per calendar). */
export interface GoogleConcurrency {
  inFlight: number;
  max: number;
  maxByCalendar: Record<string, number>;
}

const EVENTS_PATH = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/;
const CHANNELS_STOP = '/calendar/v3/channels/stop';

/**
 * events.insert/patch/update/delete `sendUpdates`: "Guests who should receive notifications",
 * one of these three (discovery document calendar.v3.json, revision 20251028, the parameter's
 * `enum`; developers.google.com/workspace/calendar/api/v3/reference/events/patch). Anything else
 * is refused before the event is touched.
 */
const SEND_UPDATES = ['all', 'externalOnly', 'none'] as const;

/** One write request as the simulator received it: whom Google would have mailed about it. */
export interface GuestNotice {
  method: string;
  calendarId: string;
  /** Absent on events.insert. */
  eventId?: string;
  /** The `sendUpdates` query parameter as sent; undefined when the request had none. */
  sendUpdates: (typeof SEND_UPDATES)[number] | undefined;
}

export class GoogleCalendarSimulator extends Simulator {
  readonly server: SimServer;
  private readonly store = new GoogleStore();
  readonly push: GooglePush;
  private readonly oauth: GoogleOAuth;
  private readonly lister: EventLister;
  private readonly latencyMs: number;
  private readonly notices: GuestNotice[] = [];
  private readonly inFlight = { all: 0, max: 0, byCalendar: new Map<string, number>(), maxByCalendar: new Map<string, number>() };

  constructor(options: GoogleSimulatorOptions = {}) {
    super();
    this.latencyMs = options.latencyMs ?? 0;
    this.push = new GooglePush(options.push);
    this.store.onChange = (calendarId) => this.push.changed(calendarId);
    this.oauth = new GoogleOAuth(() => (this.server.url ? this.tokenUrl : ''));
    this.lister = new EventLister(this.store, options.defaultPageSize ?? 250);
    for (const client of options.oauthClients ?? []) this.oauth.addClient(client);
    this.server = new SimServer((req) => this.handle(req), {
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.onResponded ? { onResponded: options.onResponded } : {}),
      faultWire: googleFaultWire,
      control: googleControl(this),
    });
  }


  override async stop(): Promise<void> {
    await this.push.close();
    await super.stop();
  }

  /** Push channels open now (events.watch, not stopped, not expired). */
  openChannels(): ReturnType<GooglePush['openChannels']> {
    return this.push.openChannels();
  }

  /** Every notification delivery attempt so far. */
  pushDeliveries(): PushDelivery[] {
    return this.push.deliveries();
  }

  /** The next `count` push notifications are lost (a lost notification: polling must catch the change). */
  dropNotifications(count: number): void {
    this.push.dropNext(count);
  }

  /** Pass as googleapis' `rootUrl`. */
  get rootUrl(): string {
    return `${this.url}/`;
  }

  /** Pass as OAuth2Client `endpoints.oauth2TokenUrl`. */
  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  /** Calendar ids are usually the owner's email. The calendar's zone defaults to UTC. */
  addCalendar(calendarId: string, options: { timeZone?: string; summary?: string } = {}): void {
    this.store.addCalendar(calendarId, options);
  }

  addOAuthClient(client: OAuthClient): void {
    this.oauth.addClient(client);
  }

  /** Refresh grant then answers 400 invalid_grant; access tokens minted from it stop working. */
  revokeRefreshToken(refreshToken: string): void {
    this.oauth.revokeRefreshToken(refreshToken);
  }

  /** A key file for a new service account; the simulator keeps its public key to verify JWTs. */
  createServiceAccountKey(clientEmail: string): ServiceAccountKey {
    return this.oauth.createServiceAccountKey(clientEmail);
  }

  /** JWT grants for `subject` answer 401 unauthorized_client, as without domain-wide delegation. */
  denyDelegation(clientEmail: string, subject: string): void {
    this.oauth.denyDelegation(clientEmail, subject);
  }

  /** Outstanding sync tokens (of one calendar, or all) answer 410 fullSyncRequired. */
  expireSyncTokens(calendarId?: string): void {
    const calendars = calendarId ? [this.mustCalendar(calendarId)] : this.store.allCalendars();
    for (const cal of calendars) cal.tokenGeneration += 1;
  }

  /** Outstanding access tokens answer 401 on next use. */
  expireAccessTokens(): void {
    this.oauth.expireAccessTokens();
  }

  userInsert(calendarId: string, event: Partial<GoogleEvent>): GoogleEvent {
    const cal = this.mustCalendar(calendarId);
    return present(this.store.insert(cal, event), cal.id, cal.timeZone, true);
  }

  userPatch(calendarId: string, eventId: string, patch: Partial<GoogleEvent>): GoogleEvent {
    const cal = this.mustCalendar(calendarId);
    return present(this.store.patch(cal, eventId, patch), cal.id, cal.timeZone, true);
  }

  userDelete(calendarId: string, eventId: string): void {
    this.store.delete(this.mustCalendar(calendarId), eventId);
  }

  /** Cancels the occurrence of `seriesId` that originally starts at `originalStartUtcIso`. */
  userCancelOccurrence(calendarId: string, seriesId: string, originalStartUtcIso: string): void {
    const cal = this.mustCalendar(calendarId);
    this.store.delete(cal, this.occurrenceId(cal, seriesId, originalStartUtcIso));
  }

  /** Edits one occurrence, creating the exception (`<seriesId>_<UTC start>`) if needed. */
  userEditOccurrence(calendarId: string, seriesId: string, originalStartUtcIso: string, patch: Partial<GoogleEvent>): GoogleEvent {
    const cal = this.mustCalendar(calendarId);
    const updated = this.store.patch(cal, this.occurrenceId(cal, seriesId, originalStartUtcIso), patch);
    return present(updated, cal.id, cal.timeZone, true);
  }

  /** Current state of every copy on the calendar, cancelled ones included (for assertions). */
  events(calendarId: string): GoogleEvent[] {
    const cal = this.mustCalendar(calendarId);
    return this.store.snapshot(cal);
  }

  getEvent(calendarId: string, eventId: string): GoogleEvent | undefined {
    const cal = this.mustCalendar(calendarId);
    const stored = cal.events.get(eventId);
    return stored ? present(stored.event, cal.id, cal.timeZone, true) : undefined;
  }

  /** The `sendUpdates` of every write request with a valid one (or none), oldest first; a write refused later (412) included. */
  guestNotices(): GuestNotice[] {
    return this.notices.map((n) => ({ ...n }));
  }

  /** Calendar API requests in flight now, and the most there were at once since the last reset. */
  concurrency(): GoogleConcurrency {
    return { inFlight: this.inFlight.all, max: this.inFlight.max, maxByCalendar: Object.fromEntries(this.inFlight.maxByCalendar) };
  }

  resetConcurrency(): void {
    this.inFlight.max = this.inFlight.all;
    this.inFlight.maxByCalendar.clear();
  }

  /** guides/errors "403/429: Rate Limit Exceeded" for the next `count` Calendar API calls. */
  injectRateLimit(
    count: number,
    options: { status?: 403 | 429; reason?: 'rateLimitExceeded' | 'userRateLimitExceeded' | 'quotaExceeded'; retryAfterSeconds?: number; method?: string } = {},
  ): void {
    const status = options.status ?? 403;
    this.server.inject({
      kind: 'status',
      status,
      count,
      pathIncludes: '/calendar/v3/',
      body: rateLimitBody(status, options.reason ?? 'rateLimitExceeded'),
      ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
      ...(options.method ? { method: options.method } : {}),
    });
  }

  /** guides/errors "500: Backend Error" (or another 5xx) for the next `count` Calendar API calls. */
  injectServerError(count: number, status = 500): void {
    this.server.inject({ kind: 'status', status, count, pathIncludes: '/calendar/v3/', body: backendErrorBody(status) });
  }

  injectSlow(ms: number, count = 1): void {
    this.server.inject({ kind: 'delay', ms, count, pathIncludes: '/calendar/v3/' });
  }

  /** 410 fullSyncRequired for the next `count` GETs under /events, whatever their sync token. */
  injectGone(count = 1): void {
    this.server.inject({ kind: 'status', status: 410, count, method: 'GET', pathIncludes: '/events', body: fullSyncRequired() });
  }

  private mustCalendar(calendarId: string): CalendarState {
    const cal = this.store.calendar(calendarId);
    if (!cal) throw new Error(`Google simulator has no calendar ${calendarId}; call addCalendar first`);
    return cal;
  }

  private occurrenceId(cal: CalendarState, seriesId: string, originalStartUtcIso: string): string {
    const master = cal.events.get(seriesId)?.event;
    if (!master?.recurrence?.length) throw new Error(`no recurring event ${seriesId} on calendar ${cal.id}`);
    const startMs = Date.parse(originalStartUtcIso);
    if (Number.isNaN(startMs)) throw new Error(`not an ISO date-time: ${originalStartUtcIso}`);
    const occurrence: Occurrence =
      master.start?.date !== undefined ? { date: originalStartUtcIso.slice(0, 10), startMs } : { startMs };
    const id = instanceId(seriesId, occurrence);
    if (!this.store.find(cal, id)) throw new Error(`${originalStartUtcIso} is not an occurrence of ${seriesId}`);
    return id;
  }

  private async handle(req: SimRequest): Promise<SimResponse> {
    try {
      if (req.path === '/token') {
        if (req.method !== 'POST') return { status: 405, headers: { allow: 'POST' }, body: { error: 'invalid_request', error_description: 'token endpoint takes POST' } };
        return this.oauth.handleToken(req);
      }
      if (req.path === CHANNELS_STOP) return this.stopChannel(req);
      const match = EVENTS_PATH.exec(req.path);
      if (!match) return unknownPath(req);
      return await this.counted(decodeURIComponent(match[1]!), () => this.answer(req, match));
    } catch (err) {
      if (err instanceof GoogleApiError) return err.toResponse();
      throw err;
    }
  }

  /** Counts a Calendar API request in flight while it is answered (after the latency, if any). */
  private async counted(calendar: string, answer: () => SimResponse): Promise<SimResponse> {
    const { inFlight } = this;
    const now = (inFlight.byCalendar.get(calendar) ?? 0) + 1;
    inFlight.byCalendar.set(calendar, now);
    inFlight.maxByCalendar.set(calendar, Math.max(now, inFlight.maxByCalendar.get(calendar) ?? 0));
    inFlight.all += 1;
    inFlight.max = Math.max(inFlight.max, inFlight.all);
    try {
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      return answer();
    } finally {
      inFlight.all -= 1;
      inFlight.byCalendar.set(calendar, inFlight.byCalendar.get(calendar)! - 1);
    }
  }

  private stopChannel(req: SimRequest): SimResponse {
    if (req.method !== 'POST') return unknownPath(req);
    this.oauth.authenticate(req);
    return stopChannelOf(this.push, req);
  }

  private answer(req: SimRequest, match: RegExpExecArray): SimResponse {
    try {
      const grant = this.oauth.authenticate(req);
      const requested = decodeURIComponent(match[1]!);
      const calendarId = requested === 'primary' ? primaryCalendarOf(grant) : requested;
      const cal = calendarId ? this.store.calendar(calendarId) : undefined;
      // guides/errors 404: also "when accessing a calendar that the user can not access".
      if (!cal || !canAccess(grant, cal.id)) throw notFound();
      const eventId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
      const zone = req.query.get('timeZone') ?? cal.timeZone;
      const ifMatch = header(req.headers, 'if-match');
      const options = ifMatch !== undefined ? { ifMatch } : {};
      if (req.method !== 'GET' && eventId !== 'watch') this.notices.push({ method: req.method, calendarId: cal.id, ...(eventId !== undefined ? { eventId } : {}), sendUpdates: sendUpdatesOf(req) });

      // events.watch: POST .../events/watch (guides/push, "Make watch requests").
      if (eventId === 'watch' && req.method === 'POST') {
        const resourceUri = `${this.rootUrl}calendar/v3/calendars/${encodeURIComponent(cal.id)}/events?alt=json`;
        return { status: 200, body: this.push.watch(cal.id, resourceUri, body(req)) };
      }
      if (eventId === undefined) {
        if (req.method === 'GET') return { status: 200, body: this.lister.list(cal, req.query) };
        if (req.method === 'POST') return ok(present(this.store.insert(cal, body(req)), cal.id, zone, true));
      } else {
        switch (req.method) {
          case 'GET': {
            const event = this.store.get(cal, eventId);
            return ok(present(event, cal.id, zone, event.organizer?.email?.toLowerCase() === cal.id.toLowerCase()));
          }
          case 'PATCH':
            return ok(present(this.store.patch(cal, eventId, body(req), { ...options, api: true }), cal.id, zone, true));
          case 'PUT':
            return ok(present(this.store.replace(cal, eventId, body(req), { ...options, api: true }), cal.id, zone, true));
          case 'DELETE':
            this.store.delete(cal, eventId, options);
            return { status: 204 };
        }
      }
      return unknownPath(req);
    } catch (err) {
      if (err instanceof GoogleApiError) return err.toResponse();
      throw err;
    }
  }
}

/** channels.stop: POST with the Channel's id and resourceId; 204 and no body on success. */
function stopChannelOf(push: GooglePush, req: SimRequest): SimResponse {
  push.stop(body(req));
  return { status: 204 };
}

/** The request's `sendUpdates`, refused with 400 when it is not one of the documented values. */
function sendUpdatesOf(req: SimRequest): GuestNotice['sendUpdates'] {
  const value = req.query.get('sendUpdates');
  if (value === null) return undefined;
  const known = SEND_UPDATES.find((v) => v === value);
  if (!known) throw badRequest(`Invalid value for: sendUpdates. Expected one of: ${SEND_UPDATES.join(', ')}`, 'sendUpdates');
  return known;
}

function ok(event: GoogleEvent): SimResponse {
  return { status: 200, headers: { etag: event.etag }, body: event };
}

function body(req: SimRequest): unknown {
  try {
    return req.json() ?? {};
  } catch (err) {
    throw badRequest(`Invalid JSON payload received. ${(err as Error).message}`, undefined, 'parseError');
  }
}

/** Octokit-fixtures style: an unexpected call gets a loud answer naming what was asked. */
function unknownPath(req: SimRequest): SimResponse {
  const message =
    `Google Calendar simulator has no route ${req.method} ${req.path}. It serves POST /token and ` +
    'GET|POST /calendar/v3/calendars/{calendarId}/events, POST /calendar/v3/calendars/{calendarId}/events/watch, POST /calendar/v3/channels/stop, GET|PATCH|PUT|DELETE /calendar/v3/calendars/{calendarId}/events/{eventId}.';
  return {
    status: 404,
    body: { error: { errors: [{ domain: 'global', reason: 'notFound', message }], code: 404, message } },
  };
}
