// The Calendar API module alone: `import { google } from 'googleapis'` loads every Google API
// (about 0.8 s and 100 MB in each meetsync process); this one loads in about 0.08 s.
import { calendar } from 'googleapis/build/src/apis/calendar/index.js';
import type { calendar_v3 } from 'googleapis';
import type { CalendarEvent, JoinDetails, WriteBackResult } from '../../domain/event.js';
import {
  CalendarAuthError,
  CalendarError,
  MalformedResponseError,
  PreconditionFailedError,
  SyncTokenExpiredError,
  describeError,
  EventGoneError,
} from '../../domain/errors.js';
import { silentLogger, type Logger } from '../../log.js';
import { withBackoff, type BackoffOptions, type RetryVerdict } from '../../net/backoff.js';
import { GoogleCredentials, type GoogleAuthConfig } from './auth.js';
import {
  STAMP_MEETING_ID,
  STAMP_MEETING_NUMBER,
  STAMP_USER_ID,
  STAMP_ACCOUNT_ID,
  parseEvent,
  parseEventsPage,
  toCalendarEvent,
  type GoogleEvent,
} from './event.js';
import { FreshCopies } from '../fresh-copies.js';
import { calendarErrorOf, googleFailureOf, isRetryable } from './failure.js';
import { planJoinClear, planJoinWrite } from '../join-write.js';
import { refreshTokenOnce } from '../../net/refresh-once.js';
import { UserRateLimits, type RateLimit } from '../../net/request-rate.js';
import type { ChangeSet, CalendarSource, ReadHints, SyncWindow, WatchAnswer, WatchRequest } from '../source.js';

export type { GoogleAuthConfig } from './auth.js';

export interface GoogleSourceConfig {
  /** The configured source name. */
  name: string;
  /** Calendar ids to read (a user's primary calendar id is their email address). */
  calendars: string[];
  auth: GoogleAuthConfig;
  /** Calendar API root instead of https://www.googleapis.com/ (the simulator's). */
  rootUrl?: string;
  /** OAuth token endpoint instead of https://oauth2.googleapis.com/token (the simulator's). */
  tokenUrl?: string;
  /** @default silentLogger() */
  logger?: Logger;
  /** Backoff for throttling and server errors. @default {maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30000} */
  retry?: Pick<BackoffOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs'>;
  /**
   * Deadline of every request, Calendar API and token endpoint alike, reading the answer
   * included; a timed-out request counts as a failed attempt. @default 30000
   */
  requestTimeoutMs?: number;
  /** Where this source sits in the config file, for messages. @default `source "<name>"` */
  configPath?: string;
  /** events.list `maxResults`; Google allows at most 2500. @default 2500 */
  pageSize?: number;
  /** Told the HTTP status of every Calendar API attempt ('error' when no answer came): the daemon's metrics. */
  onAttempt?: (status: number | 'error') => void;
  /**
   * Calendar API requests (every attempt) per user: the OAuth user for every calendar, or with a
   * service account each calendar's owner. Google's quota is 600 requests per minute per user
   * per project, counted over a sliding window (developers.google.com/workspace/calendar/api/
   * guides/quota, "Calendar API quotas"). @default no limit
   */
  rateLimit?: RateLimit;
  /**
   * Who Google mails when meetsync writes or removes the join details. Guests on Google Calendar
   * see the organizer's change in their own copy either way; guests outside Google Calendar hold
   * only the invitation they were mailed, so with 'none' they never see the join link.
   * 'externalOnly' mails exactly them (events.patch `sendUpdates`). @default 'externalOnly'
   */
  sendUpdates?: GoogleSendUpdates;
}

/**
 * events.patch `sendUpdates`: "all" (notifications are sent to all guests), "externalOnly"
 * (to non-Google Calendar guests only), "none" (no notifications) — the parameter's enum in the
 * discovery document (test/fixtures/google/calendar.v3.json) and
 * developers.google.com/workspace/calendar/api/v3/reference/events/patch.
 */
export type GoogleSendUpdates = 'all' | 'externalOnly' | 'none';

export const FULL_READ_REASON_410 = 'sync token expired (HTTP 410); read the calendar fully again';

/** events.list page size: the most Google allows (events.list `maxResults`). */
const MAX_PAGE_SIZE = 2500;
/** Write-back rounds when the event keeps changing under us (HTTP 412 on If-Match). */
const WRITE_ROUNDS = 3;

type RequestOptions = { headers: Record<string, string>; retry: false; timeout: number };

/** An events.patch body: only the changed fields; a private property set to null is deleted. */
type PatchBody = Pick<calendar_v3.Schema$Event, 'description' | 'location'> & {
  extendedProperties?: { private: Record<string, string | null> };
};

/** The changed text fields of a write or clear plan, as an events.patch body. */
function textPatchOf(plan: { description?: string; location?: string }): PatchBody {
  return {
    ...(plan.description !== undefined ? { description: plan.description } : {}),
    ...(plan.location !== undefined ? { location: plan.location } : {}),
  };
}

/**
 * The Google Calendar adapter. googleapis builds and sends every request; this class decides
 * what to ask, retries, and maps answers to CalendarEvents (google/event.ts).
 *
 * Retries are ours alone: googleapis would retry GET/PUT/DELETE on 408/429/5xx by itself but
 * never PATCH or a 403 rateLimitExceeded (PROVIDERS.md, "Errors"), and google-auth-library's
 * request() re-sends once on 401 *and 403* when the token has no expiry. So every call passes
 * `retry: false` and its own Authorization header (google/auth.ts), and one backoff
 * (net/backoff.ts) handles every retryable failure and counts every attempt in `stats`.
 */
export class GoogleSource implements CalendarSource {
  readonly name: string;
  readonly calendars: readonly string[];
  /** Calendar API requests sent (every attempt), retries among them, and forced token refreshes. */
  readonly stats = { requests: 0, retries: 0, tokenRefreshes: 0 };
  private readonly api: calendar_v3.Calendar;
  private readonly credentials: GoogleCredentials;
  private readonly logger: Logger;
  private readonly retry: BackoffOptions;
  private readonly timeoutMs: number;
  private readonly configPath: string;
  private readonly pageSize: number;
  private readonly onAttempt: ((status: number | 'error') => void) | undefined;
  private readonly rates: UserRateLimits;
  private readonly oauth: boolean;
  private readonly sendUpdates: GoogleSendUpdates;
  /**
   * Each calendar's zone, from its last events.list answer: all-day events without a zone of
   * their own start at midnight there (google/event.ts). events.get does not tell the calendar's
   * zone, so a getEvent before any read of that calendar in this process falls back to UTC; the
   * engine always reads a calendar before it looks up single events.
   */
  private readonly zones = new Map<string, string>();
  /** The organizer copies (with an etag) the last read of each calendar returned, for the write-back after it. */
  private readonly fresh = new FreshCopies<GoogleEvent>();

  constructor(config: GoogleSourceConfig) {
    this.name = config.name;
    this.calendars = [...config.calendars];
    this.logger = (config.logger ?? silentLogger()).child({ source: config.name });
    this.retry = { ...config.retry };
    this.timeoutMs = config.requestTimeoutMs ?? 30_000;
    this.configPath = config.configPath ?? `source "${config.name}"`;
    this.pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, config.pageSize ?? MAX_PAGE_SIZE));
    this.onAttempt = config.onAttempt;
    this.rates = new UserRateLimits(config.rateLimit);
    this.oauth = config.auth.type === 'oauth';
    this.sendUpdates = config.sendUpdates ?? 'externalOnly';
    this.api = calendar({ version: 'v3', ...(config.rootUrl ? { rootUrl: config.rootUrl } : {}) });
    this.credentials = new GoogleCredentials(config.auth, {
      source: config.name,
      configPath: this.configPath,
      ...(config.tokenUrl ? { tokenUrl: config.tokenUrl } : {}),
      timeoutMs: this.timeoutMs,
      logger: this.logger,
    });
  }

  async readChanges(calendarId: string, cursor: string | null, window: SyncWindow, hints?: ReadHints): Promise<ChangeSet> {
    this.fresh.drop(calendarId);
    const keepCopy = hints?.keepCopy?.bind(hints);
    if (cursor) {
      try {
        return { ...(await this.readAll(calendarId, { syncToken: cursor }, keepCopy)), full: false };
      } catch (err) {
        if (!(err instanceof SyncTokenExpiredError)) throw err;
        // guides/sync: on 410 "clear its storage and perform a full synchronization".
        this.logger.info({ calendarId }, 'Google sync token expired (HTTP 410); reading the calendar fully');
        return { ...(await this.readFully(calendarId, window, keepCopy)), full: true, fullReason: FULL_READ_REASON_410 };
      }
    }
    return { ...(await this.readFully(calendarId, window, keepCopy)), full: true };
  }

  readonly pushProvider = 'google' as const;

  /**
   * events.watch: a web_hook channel on the calendar's events (developers.google.com/calendar/api/
   * guides/push, "Make watch requests"). No `expiration` is asked for: Google gives its own
   * lifetime, and the channel is replaced before it ends (daemon/push/channels.ts).
   */
  async watch(calendarId: string, request: WatchRequest): Promise<WatchAnswer> {
    const data = await this.send('events.watch', calendarId, (options) =>
      this.api.events.watch({ calendarId, requestBody: { id: request.channelId, type: 'web_hook', address: request.address, token: request.token } }, options),
    );
    const channel = (data ?? {}) as { resourceId?: unknown; expiration?: unknown };
    // The Channel schema's expiration is an int64 in a string, milliseconds since the epoch.
    const expiresMs = Number(channel.expiration);
    if (typeof channel.resourceId !== 'string' || channel.resourceId === '') throw this.malformed(calendarId, 'Google events.watch', 'resourceId', 'missing');
    if (!Number.isFinite(expiresMs) || expiresMs <= 0) throw this.malformed(calendarId, 'Google events.watch', 'expiration', 'not a time in milliseconds');
    return { resourceId: channel.resourceId, expiresAt: new Date(expiresMs) };
  }

  /** channels.stop with the channel's id and resourceId (guides/push, "Stop notifications"); 404: already gone. */
  async unwatch(calendarId: string, channel: { channelId: string; resourceId: string }): Promise<void> {
    try {
      await this.send('channels.stop', calendarId, (options) => this.api.channels.stop({ requestBody: { id: channel.channelId, resourceId: channel.resourceId } }, options));
    } catch (err) {
      if (!(err instanceof CalendarError) || err.status !== 404) throw err;
    }
  }

  async getEvent(calendarId: string, eventId: string): Promise<CalendarEvent | null> {
    const event = await this.fetchEvent(calendarId, eventId);
    return event ? this.map(event, calendarId, 'events.get') : null;
  }

  /**
   * A read that changes nothing, for `meetsync doctor`: an access token (the refresh or the
   * service account's grant) and events.list with maxResults 1. Throws as readChanges does.
   */
  async probe(calendarId: string): Promise<void> {
    await this.send('events.list', calendarId, (options) => this.api.events.list({ calendarId, maxResults: 1 }, options));
  }

  async writeJoinDetails(calendarId: string, eventId: string, details: JoinDetails): Promise<WriteBackResult> {
    return this.patchOrganizerCopy(calendarId, eventId, { what: 'write join details', ifGone: 'throw' }, (event, privateProps) => {
      const plan = planJoinWrite(event, details);
      if (!plan) return null;
      const body = textPatchOf(plan);
      // The whole private map is sent, so the result is the same whether Google merges or replaces it.
      if (plan.stamp) {
        const stamp = {
          [STAMP_MEETING_ID]: plan.stamp.meetingId,
          [STAMP_MEETING_NUMBER]: plan.stamp.meetingNumber ?? '',
          ...(plan.stamp.userId ? { [STAMP_USER_ID]: plan.stamp.userId } : {}),
          ...(plan.stamp.accountId ? { [STAMP_ACCOUNT_ID]: plan.stamp.accountId } : {}),
        };
        body.extendedProperties = { private: { ...privateProps, ...stamp } };
      }
      return body;
    });
  }

  async clearJoinDetails(calendarId: string, eventId: string): Promise<WriteBackResult> {
    return this.patchOrganizerCopy(calendarId, eventId, { what: 'clear join details', ifGone: 'skip' }, (event, privateProps) => {
      const plan = planJoinClear(event);
      if (!plan) return null;
      const body = textPatchOf(plan);
      // A PATCH merges private properties key by key, so leaving our keys out would keep them;
      // a key set to null is deleted (guides/extended-properties, "Delete properties").
      if (plan.removeStamp) {
        const ours = [STAMP_MEETING_ID, STAMP_MEETING_NUMBER, STAMP_USER_ID, STAMP_ACCOUNT_ID].filter((key) => privateProps[key] !== undefined);
        body.extendedProperties = { private: Object.fromEntries(ours.map((key) => [key, null])) };
      }
      return body;
    });
  }

  /**
   * The write-back both write paths share: read the event, refuse an attendee's copy, let `plan`
   * pick the fields to change (null = nothing to do), PATCH only those, and on 412 read again.
   */
  private async patchOrganizerCopy(
    calendarId: string,
    eventId: string,
    job: { what: string; ifGone: 'throw' | 'skip' },
    plan: (event: CalendarEvent, privateProps: Record<string, string>) => PatchBody | null,
  ): Promise<WriteBackResult> {
    // The event as this cycle's events.list returned it saves the events.get; If-Match with its
    // etag still guards the PATCH, and a 412 reads the event again (the rounds count reads).
    let copy = this.fresh.take(calendarId, eventId);
    for (let round = copy ? 0 : 1; ; round += 1) {
      const current = copy ?? (await this.fetchEvent(calendarId, eventId));
      copy = undefined;
      if (!current || current.status === 'cancelled') {
        if (job.ifGone === 'skip') return { changed: false };
        const state = current ? 'cancelled' : 'gone';
        throw new EventGoneError(this.name, calendarId, `cannot ${job.what}: event ${eventId} is ${state}`, current ? undefined : 404);
      }
      if (current.organizer?.self !== true) {
        const copy = `this is an attendee's copy${current.organizer?.email ? ` (organizer ${current.organizer.email})` : ''}`;
        throw new CalendarError(this.name, calendarId, `refusing to ${job.what} on event ${eventId}: ${copy}; only the organizer's copy is written`);
      }
      const mapped = this.map(current, calendarId, 'events.get');
      // The engine never asks this of such an event (domain/wants.ts); should it, Google would
      // answer 400 eventTypeRestriction (google/event.ts, RESTRICTED_EVENT_TYPES).
      if (mapped.writeRestriction) {
        // A clear has nothing to take off an event nothing was ever written into.
        if (job.ifGone === 'skip') return { changed: false };
        throw new CalendarError(this.name, calendarId, `refusing to ${job.what} on event ${eventId}: ${mapped.writeRestriction}`);
      }
      const body = plan(mapped, current.extendedProperties?.private ?? {});
      if (!body) return current.etag ? { changed: false, etag: current.etag } : { changed: false };
      try {
        // PATCH, not PUT: a PUT drops every field it omits, and `extendedProperties.private`
        // belongs to this copy only (PROVIDERS.md). sendUpdates (events.patch): "none" sends no
        // notification, so a guest outside Google Calendar, who has only the invitation mailed to
        // them, never sees the link; "externalOnly" (the default) sends one to "non-Google
        // Calendar guests only", whose calendars cannot see the change otherwise
        // (developers.google.com/workspace/calendar/api/v3/reference/events/patch). The write
        // happens once per link (PROVIDERS.md, complaint 2). The cast only admits the null
        // values that delete private properties, which googleapis' Schema$Event does not model.
        const sendUpdates = this.sendUpdates;
        const data = await this.send(
          'events.patch',
          calendarId,
          (options) =>
            this.api.events.patch({ calendarId, eventId, sendUpdates, requestBody: body as calendar_v3.Schema$Event }, options),
          // If-Match: if the organizer edited the event since we read it, Google answers 412 and
          // we re-read instead of overwriting their edit (PROVIDERS.md, "If-Match").
          current.etag ? { 'If-Match': current.etag } : {},
        );
        const written = this.parse(() => parseEvent(data, 'Google events.patch'), calendarId);
        return written.etag ? { changed: true, etag: written.etag } : { changed: true };
      } catch (err) {
        if (!(err instanceof PreconditionFailedError) || round >= WRITE_ROUNDS) throw err;
        this.logger.info({ calendarId, eventId, round }, `event changed since it was read, during ${job.what} (HTTP 412); reading it again`);
      }
    }
  }

  /** A full read: every event that ends after the window starts, and a sync token. */
  private readFully(calendarId: string, window: SyncWindow, keepCopy?: (event: CalendarEvent) => boolean): Promise<{ events: CalendarEvent[]; cursor: string }> {
    // timeMin only on the full read: guides/sync allows restricting the initial sync, and
    // timeMin filters by END time, so a series whose instances continue into the window still
    // comes back. No timeMax: an event created long before it enters a moving window would
    // otherwise never arrive (incremental reads only report changes). syncToken cannot be
    // combined with timeMin (events.list `syncToken`), so incremental reads see every change.
    return this.readAll(calendarId, { timeMin: window.from.toISOString() }, keepCopy);
  }

  /** Follows every nextPageToken; only the last page carries nextSyncToken (guides/sync). */
  private async readAll(
    calendarId: string,
    start: { syncToken: string } | { timeMin: string },
    keepCopy?: (event: CalendarEvent) => boolean,
  ): Promise<{ events: CalendarEvent[]; cursor: string }> {
    const events: CalendarEvent[] = [];
    const copies = new Map<string, GoogleEvent>();
    let pageToken: string | undefined;
    for (;;) {
      // singleEvents false on both reads: the guide asks for the same parameters on full and
      // incremental requests, and masters + exceptions keep series identity. No showDeleted:
      // not allowed to be false with a syncToken, and a full read needs no deleted events.
      const params: calendar_v3.Params$Resource$Events$List = {
        calendarId,
        singleEvents: false,
        maxResults: this.pageSize,
        ...start,
        ...(pageToken ? { pageToken } : {}),
      };
      const data = await this.send('events.list', calendarId, (options) => this.api.events.list(params, options));
      const page = this.parse(() => parseEventsPage(data), calendarId);
      if (page.timeZone) this.zones.set(calendarId, page.timeZone);
      for (const item of page.items ?? []) {
        const mapped = this.map(item, calendarId, 'events.list');
        events.push(mapped);
        // Only what a write-back could start from: the organizer's live copy, with its etag, of an event the engine may write into.
        if (item.organizer?.self === true && item.status !== 'cancelled' && item.etag && (keepCopy?.(mapped) ?? true)) copies.set(item.id, item);
        else copies.delete(item.id);
      }
      if (page.nextPageToken) {
        if (page.nextPageToken === pageToken) {
          throw this.malformed(calendarId, 'Google events.list', 'nextPageToken', 'the same page token came back twice');
        }
        pageToken = page.nextPageToken;
        continue;
      }
      if (!page.nextSyncToken) {
        throw this.malformed(calendarId, 'Google events.list', 'nextSyncToken', 'missing on the last page');
      }
      this.logger.debug({ calendarId, events: events.length }, 'Google calendar read');
      this.fresh.replace(calendarId, copies);
      return { events, cursor: page.nextSyncToken };
    }
  }

  /** events.get, or null on positive proof that the event is gone. */
  private async fetchEvent(calendarId: string, eventId: string): Promise<GoogleEvent | null> {
    let data: unknown;
    try {
      data = await this.send('events.get', calendarId, (options) => this.api.events.get({ calendarId, eventId }, options));
    } catch (err) {
      if (!(err instanceof CalendarError) || (err.status !== 404 && err.status !== 410)) throw err;
      // 410 on an event is "deleted" (guides/errors). 404 is also what Google answers for a
      // calendar the credential cannot see (guides/errors, 404 "Not Found"), which proves
      // nothing about the event: believe it only when the calendar itself still answers.
      if (err.status === 404) await this.confirmCalendar(calendarId, eventId);
      return null;
    }
    return this.parse(() => parseEvent(data), calendarId);
  }

  private async confirmCalendar(calendarId: string, eventId: string): Promise<void> {
    try {
      await this.send('events.list', calendarId, (options) => this.api.events.list({ calendarId, maxResults: 1 }, options));
    } catch (err) {
      if (!(err instanceof CalendarError) || err.status !== 404) throw err;
      throw new CalendarError(
        this.name,
        calendarId,
        `calendar ${calendarId} is not found or not shared with the credential of ${this.configPath}; ` +
          `event ${eventId} is not taken as deleted`,
        404,
      );
    }
  }

  private map(event: GoogleEvent, calendarId: string, call: string): CalendarEvent {
    const zone = this.zones.get(calendarId);
    return this.parse(
      () =>
        toCalendarEvent(event, {
          source: this.name,
          calendarId,
          ...(zone ? { calendarTimeZone: zone } : {}),
          what: `Google ${call} (event ${event.id})`,
        }),
      calendarId,
    );
  }

  /** Runs a parse; a malformed answer becomes a CalendarError of this calendar naming the field. */
  private parse<T>(run: () => T, calendarId: string): T {
    try {
      return run();
    } catch (err) {
      if (!(err instanceof MalformedResponseError)) throw err;
      throw new CalendarError(this.name, calendarId, err.message, undefined, { cause: err });
    }
  }

  private malformed(calendarId: string, what: string, field: string, problem: string): CalendarError {
    const cause = new MalformedResponseError(what, field, problem);
    return new CalendarError(this.name, calendarId, cause.message, undefined, { cause });
  }

  /**
   * Sends one Calendar API call with backoff. A 401 forces exactly one token refresh per call
   * (guides/errors: "401 Invalid Credentials ... refresh the access token"; net/refresh-once.ts);
   * a second 401 is a credential problem for a person.
   */
  private async send(
    what: string,
    calendarId: string,
    request: (options: RequestOptions) => Promise<{ data: unknown; status?: number }>,
    extraHeaders: Record<string, string> = {},
  ): Promise<unknown> {
    let attempts = 0;
    const refreshingOnce = refreshTokenOnce({
      refused: (err) => googleFailureOf(err)?.status === 401,
      refresh: () => {
        this.stats.tokenRefreshes += 1;
        this.credentials.expire(calendarId);
        this.logger.info({ calendarId, call: what }, 'Google refused the access token (HTTP 401); refreshing it once');
      },
    });
    try {
      return await withBackoff(
        () =>
          refreshingOnce(async () => {
            // auth.ts translates every HTTP failure of a token request: only the call's own 401 refreshes.
            const headers = await this.credentials.headers(calendarId);
            // The user whose quota the request counts against: the OAuth user, or the calendar's owner.
            await this.rates.turn(this.oauth ? '' : calendarId);
            attempts += 1;
            this.stats.requests += 1;
            try {
              const response = await request({ headers: { ...headers, ...extraHeaders }, retry: false, timeout: this.timeoutMs });
              this.onAttempt?.(response.status ?? 200);
              return response.data;
            } catch (err) {
              this.onAttempt?.(googleFailureOf(err)?.status ?? 'error');
              throw err;
            }
          }),
        (err) => this.verdict(err),
        {
          ...this.retry,
          onRetry: ({ attempt, delayMs, error }) => {
            this.stats.retries += 1;
            this.logger.warn(
              { calendarId, call: what, attempt, delayMs, error: describeError(this.errorOf(error, what, calendarId, attempts)) },
              'Google call failed; retrying after backoff',
            );
          },
        },
      );
    } catch (err) {
      throw this.errorOf(err, what, calendarId, attempts);
    }
  }

  private errorOf(err: unknown, what: string, calendarId: string, attempts: number): Error {
    return calendarErrorOf(err, { source: this.name, calendarId, call: what, attempts, configPath: this.configPath });
  }

  private verdict(err: unknown): RetryVerdict {
    if (err instanceof CalendarAuthError) return { retry: false };
    // google/auth.ts turns only retryable token-endpoint failures (5xx, 429, no answer) into a
    // plain CalendarError.
    if (err instanceof CalendarError) return { retry: true };
    const failure = googleFailureOf(err);
    if (!failure || !isRetryable(failure)) return { retry: false };
    return failure.retryAfterMs === undefined ? { retry: true } : { retry: true, retryAfterMs: failure.retryAfterMs };
  }
}
