import { z } from 'zod';
import type {
  Account,
  DeleteOutcome,
  FeedMeeting,
  FeedReading,
  Meeting,
  MeetingPlatform,
  MeetingSpec,
  NewAccount,
  PlatformUser,
} from '../domain/meeting.js';
import { registerSecret } from '../domain/redact.js';
import { silentLogger, type Logger } from '../log.js';
import {
  DELETE_MEETING,
  defaultJoinUrlTemplate,
  joinUrlFrom,
  extraMeetingFields,
  icsPathFor,
  icsTokensOfPath,
  isAlreadyGone,
  recurringBody,
} from './assumptions.js';
import { fetchFeedText, type FeedKeyMemory } from './feed/fetch.js';
import { parseFeed, readFeedEntries } from './feed/strict.js';
import {
  HttpCore,
  RETRY_DEFAULTS,
  describeCall,
  failureDetails,
  readEnvelope,
  type ApiRequest,
  type AttemptEvent,
  type RetryEvent,
  type RetryOptions,
} from './http.js';
import { accountSchema, adminsSchema, meetingSchema, type MeetingData } from './schemas.js';

export type { AttemptEvent, RetryEvent, RetryOptions } from './http.js';

export interface WebMeetingClientOptions {
  /** Where the instance runs, e.g. `https://meeting.example.com` (the API is under /api/v6). */
  baseUrl: string;
  /** The platform API key (needs the Account and Meeting permissions). Registered as a secret. */
  apiKey: string;
  /**
   * The join link, with `{meetingNumber}` (dashed number) and `{meetingId}` (24-hex id) placeholders.
   * @default `<origin of baseUrl>/meeting/{meetingNumber}` (an assumption; see assumptions.ts)
   */
  joinUrlTemplate?: string;
  /** Per attempt, including reading the body. @default 30000 */
  timeoutMs?: number;
  /** Backoff for GET, PUT and DELETE; POST is never retried. @default { attempts: 4, baseDelayMs: 500, maxDelayMs: 30000, maxRetryAfterMs: 120000 } */
  retry?: RetryOptions;
  /** Retries are logged at warn, calls at debug. @default silentLogger() */
  logger?: Logger;
  /** Told before each retry's wait (tests count retries with it). @default undefined */
  onRetry?: (event: RetryEvent) => void;
  /** Told after every attempt with its status (metrics, the doctor's clock check). @default undefined */
  onAttempt?: (event: AttemptEvent) => void;
}

/**
 * The Web Meeting API v6 client (web-meeting-api-tutorial.txt). Everything the tutorial does not
 * say is in assumptions.ts. Errors: PlatformError (non-2xx or non-zero responseCode),
 * MalformedResponseError, TimeoutError, NetworkError, DataError (feed); none carries a secret.
 */
export class WebMeetingClient implements MeetingPlatform {
  private readonly http: HttpCore;
  private readonly template: string;
  private retryCount = 0;
  /** Learned from a feed that answered only with the API key (feed/fetch.ts). */
  private readonly feedKey: FeedKeyMemory = { needsKey: false };

  constructor(options: WebMeetingClientOptions) {
    registerSecret(options.apiKey);
    const url = new URL(options.baseUrl); // throws early on a bad baseUrl, before any key is sent
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('baseUrl must be http(s)');
    this.template = options.joinUrlTemplate ?? defaultJoinUrlTemplate(options.baseUrl);
    const onRetry = options.onRetry;
    this.http = new HttpCore({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs ?? 30_000,
      retry: { ...RETRY_DEFAULTS, ...definedOnly(options.retry ?? {}) },
      logger: options.logger ?? silentLogger(),
      onRetry: (event) => {
        this.retryCount += 1;
        onRetry?.(event);
      },
      onAttempt: options.onAttempt,
    });
  }

  /** How many retries this client has made since it was created. */
  get retries(): number {
    return this.retryCount;
  }

  /** `POST /api/v6/account`: a new account and its first organizer. Never retried. */
  async createAccount(account: NewAccount): Promise<Account> {
    const req: ApiRequest = {
      method: 'POST',
      path: '/api/v6/account',
      body: {
        sendPassword: account.sendPassword,
        accountType: account.accountType,
        adminFirstname: account.adminFirstname,
        adminLastname: account.adminLastname,
        adminEmail: account.adminEmail,
        adminPreferredLanguage: account.adminPreferredLanguage,
        paidUntil: account.paidUntil,
      },
    };
    const data = await this.call(req, accountSchema, 'create account');
    return {
      id: data.id,
      name: data.name,
      accountType: data.accountType,
      ...(data.paidUntil ? { paidUntil: data.paidUntil } : {}),
    };
  }

  /** `GET /api/v6/account/admin/<accountId>`: `data` is an array. Each icsToken becomes a secret. */
  async listAccountAdmins(accountId: string): Promise<PlatformUser[]> {
    const req: ApiRequest = { method: 'GET', path: `/api/v6/account/admin/${encodeURIComponent(accountId)}` };
    const admins = await this.call(req, adminsSchema, 'list account admins');
    return admins.map((admin) => {
      registerSecret(admin.icsToken);
      const icsPath = admin.icsPath ?? (admin.icsToken ? icsPathFor(admin.icsToken) : undefined);
      // The path may carry a token other than icsToken (or the only one), possibly encoded.
      if (icsPath) icsTokensOfPath(icsPath).forEach(registerSecret);
      return {
        id: admin.id,
        accountId,
        email: admin.email,
        firstName: admin.firstName,
        lastName: admin.lastName,
        ...(admin.timezone ? { timezone: admin.timezone } : {}),
        ...(icsPath ? { icsPath } : {}),
      };
    });
  }

  /** `POST /api/v6/meeting` as organizer `userId`. Sent once, never retried (see sync/execute.ts). */
  async createMeeting(userId: string, spec: MeetingSpec): Promise<Meeting> {
    const req: ApiRequest = { method: 'POST', path: '/api/v6/meeting', userId, body: meetingBody(spec) };
    return toMeeting(await this.call(req, meetingSchema, 'create meeting'));
  }

  /**
   * `PUT /api/v6/meeting/<meetingId>/false` (the literal `/false` is the tutorial's); body = create
   * body + id. Done when the platform says responseCode 0; the meeting it gives back, if any, is
   * returned, else undefined (the tutorial shows no answer; see assumptions.ts).
   */
  async updateMeeting(userId: string, meetingId: string, spec: MeetingSpec): Promise<Meeting | undefined> {
    const req: ApiRequest = {
      method: 'PUT',
      path: `/api/v6/meeting/${encodeURIComponent(meetingId)}/false`,
      userId,
      body: { ...meetingBody(spec), id: meetingId },
    };
    const data = await this.call(req, z.unknown(), 'update meeting');
    const meeting = meetingSchema.safeParse(data);
    return meeting.success ? toMeeting(meeting.data) : undefined;
  }

  /** ASSUMED `DELETE /api/v6/meeting/<meetingId>`; an unknown meeting is 'already-gone' (assumptions.ts). */
  async deleteMeeting(userId: string, meetingId: string): Promise<DeleteOutcome> {
    const req: ApiRequest = { method: DELETE_MEETING.method, path: DELETE_MEETING.path(meetingId), userId };
    const res = await this.http.send(req);
    const ok = res.status >= 200 && res.status <= 299;
    const details = failureDetails(res);
    if ((!ok || (details.responseCode ?? 0) !== 0) && isAlreadyGone(res.status, details.responseCode, details.responseMessage)) {
      return 'already-gone';
    }
    // 204 or an empty body is success too; otherwise the envelope must say responseCode 0.
    if (ok && res.text.trim() === '') return 'deleted';
    readEnvelope(req, res, z.unknown(), 'delete meeting');
    return 'deleted';
  }

  /**
   * `GET <icsPath>`: the organizer's meeting feed, all or nothing (feed/strict.ts). `owner` (an email) only
   * names the feed in a DataError; the path's token never appears in an error or log line.
   */
  async readFeed(icsPath: string, owner?: string): Promise<FeedMeeting[]> {
    return parseFeed(await fetchFeedText(this.http, icsPath, {}, this.feedKey), owner === undefined ? {} : { owner });
  }

  /**
   * `GET <icsPath>`: the organizer's meeting feed, entry by entry (feed/strict.ts readFeedEntries):
   * what the sync reads, so that one unreadable entry stalls nothing else. Text that is not
   * iCalendar at all is still a DataError.
   */
  async readFeedEntries(icsPath: string, owner?: string): Promise<FeedReading> {
    return readFeedEntries(await fetchFeedText(this.http, icsPath, {}, this.feedKey), owner === undefined ? {} : { owner });
  }

  /**
   * `GET <icsPath>` as text, unparsed, within `limits` (the reconciliation reads every
   * organizer's feed and reports one that is too large or too slow instead of waiting on it).
   * A non-2xx answer is a FeedError (feed/fetch.ts); the path's token never appears in an error or log line.
   */
  async readFeedText(icsPath: string, limits: { maxBytes: number; attempts?: number }): Promise<string> {
    return fetchFeedText(this.http, icsPath, limits, this.feedKey);
  }

  /** The join link from the template (assumptions.ts). */
  joinUrl(meetingNumber: string, meetingId: string): string {
    return joinUrlFrom(this.template, meetingNumber, meetingId);
  }

  private async call<S extends z.ZodType>(req: ApiRequest, schema: S, what: string): Promise<z.output<S>> {
    const res = await this.http.send(req);
    return readEnvelope(req, res, schema, `${what} (${describeCall(req)})`);
  }
}

/**
 * The tutorial's minimal meeting body, plus `agenda` and `timezone` (assumptions.ts). `duration`
 * is a NUMBER of minutes, as the tutorial sends it.
 */
export function meetingBody(spec: MeetingSpec): Record<string, unknown> {
  const minutes = Math.round((Date.parse(spec.endTime) - Date.parse(spec.startTime)) / 60_000);
  return {
    topic: spec.topic,
    startTime: spec.startTime,
    endTime: spec.endTime,
    duration: Number.isFinite(minutes) ? minutes : 0,
    type: spec.type,
    isRecurring: spec.recurrence !== null,
    isRecorded: spec.isRecorded,
    isDialin: spec.isDialin,
    invitedParticipants: [],
    recurring: recurringBody(spec.recurrence),
    meetingPermissionId: null,
    ...extraMeetingFields(spec.agenda, spec.timeZone),
  };
}

function toMeeting(data: MeetingData): Meeting {
  // Each meeting has a feed token of its own (the tutorial's "Creating meetings" answer); meetsync
  // never uses it, but an error or log line could still echo it.
  registerSecret(data.icsToken);
  return {
    id: data.id,
    meetingNumber: data.meetingId,
    topic: data.topic,
    startTime: data.startTime,
    endTime: data.endTime,
    agenda: data.agenda,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
