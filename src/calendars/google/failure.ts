import { z } from 'zod';
import {
  CalendarAuthError,
  CalendarError,
  PreconditionFailedError,
  SyncTokenExpiredError,
  TimeoutError,
  describeError,
} from '../../domain/errors.js';
import { parseRetryAfter } from '../../net/backoff.js';
import { deadlinePassed } from '../../net/deadline.js';

/** The one OAuth scope meetsync asks for: read events and write the join details back. */
export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

/**
 * Reads a failed googleapis / google-auth-library call (a GaxiosError) into plain data, so the
 * adapter decides about retries and messages without touching vendor types. Two body shapes:
 * - the Calendar API's error (developers.google.com/calendar/api/guides/errors):
 *   `{error: {code, message, errors: [{domain, reason, message}], status}}`;
 * - the OAuth token endpoint's error (RFC 6749 section 5.2): `{error: "invalid_grant",
 *   error_description}`.
 */
export interface GoogleFailure {
  /** HTTP status; absent when no answer arrived (connection reset, refused, timed out). */
  status?: number;
  /** `errors[0].reason` of an API error (rateLimitExceeded...) or the OAuth `error` code. */
  reason?: string;
  /** The server's message, or the transport's when there was no answer. */
  message: string;
  /** How long the server asked us to wait, from Retry-After. */
  retryAfterMs?: number;
  /** The low-level code when no answer arrived (ECONNRESET, TimeoutError...). */
  code?: string;
  /** Set when no (full) answer arrived within the request's deadline: that deadline. */
  timeoutMs?: number;
}

/** gaxios marks its errors with this registered symbol (gaxios src/common.ts GAXIOS_ERROR_SYMBOL). */
const GAXIOS_ERROR = Symbol.for('gaxios-gaxios-error');

const apiErrorSchema = z.object({
  error: z.object({
    message: z.string().nullish(),
    status: z.string().nullish(),
    errors: z.array(z.object({ reason: z.string().nullish(), message: z.string().nullish() })).nullish(),
  }),
});

const tokenErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().nullish(),
});

const gaxiosShape = z.object({
  message: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
  config: z.object({ timeout: z.number().nullish(), signal: z.unknown() }).nullish(),
  response: z
    .object({
      status: z.number(),
      data: z.unknown(),
      headers: z.unknown(),
    })
    .nullish(),
});

function bodyOf(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (headers && typeof headers === 'object') {
    const get = (headers as { get?: unknown }).get;
    if (typeof get === 'function') {
      const value: unknown = get.call(headers, name);
      return typeof value === 'string' ? value : undefined;
    }
    const value = (headers as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/** True for the errors googleapis and google-auth-library throw for HTTP and transport failures. */
export function isGaxiosError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && GAXIOS_ERROR in err;
}

/** The failure as data, or undefined when `err` is not an HTTP client error (a bug, say). */
export function googleFailureOf(err: unknown): GoogleFailure | undefined {
  if (!isGaxiosError(err)) return undefined;
  const parsed = gaxiosShape.safeParse(err);
  if (!parsed.success) return { message: String(err) };
  const { response, code, message, config } = parsed.data;
  if (!response) {
    const failure: GoogleFailure = { message: message ?? 'no answer' };
    if (code !== undefined && code !== null) failure.code = String(code);
    // gaxios turns the `timeout` option into AbortSignal.timeout() (gaxios src/gaxios.ts
    // #appendTimeoutToSignal); the error cannot tell a timeout from other aborts (net/deadline.ts).
    if (config?.timeout && deadlinePassed(config.signal)) failure.timeoutMs = config.timeout;
    return failure;
  }
  const failure: GoogleFailure = { status: response.status, message: message ?? `HTTP ${response.status}` };
  const body = bodyOf(response.data);
  const api = apiErrorSchema.safeParse(body);
  const token = tokenErrorSchema.safeParse(body);
  if (api.success) {
    const first = api.data.error.errors?.[0];
    const reason = first?.reason ?? api.data.error.status;
    if (reason) failure.reason = reason;
    const text = api.data.error.message ?? first?.message;
    if (text) failure.message = text;
  } else if (token.success) {
    failure.reason = token.data.error;
    failure.message = token.data.error_description ?? token.data.error;
  }
  const retryAfterMs = parseRetryAfter(headerOf(response.headers, 'retry-after'), Date.now(), { dates: 'any' });
  if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
  return failure;
}

/** Reasons of a 403 that mean "slow down" rather than "forbidden" (guides/errors). */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

/**
 * Worth trying again: 403 rate limits, 429, 408, 5xx, and no answer at all. Google's errors guide
 * asks for exponential backoff on exactly these; a 403 for any other reason (forbidden,
 * quotaExceeded for the day) will not get better by retrying.
 */
export function isRetryable(failure: GoogleFailure): boolean {
  if (failure.status === undefined) return true;
  if (failure.status === 403) return failure.reason !== undefined && RATE_LIMIT_REASONS.has(failure.reason);
  return failure.status === 408 || failure.status === 429 || failure.status >= 500;
}

/** "HTTP 403 rateLimitExceeded: Rate Limit Exceeded", for messages. */
export function describeFailure(failure: GoogleFailure): string {
  const head = failure.status === undefined ? `no answer${failure.code ? ` (${failure.code})` : ''}` : `HTTP ${failure.status}`;
  const reason = failure.reason ? ` ${failure.reason}` : '';
  return `${head}${reason}: ${failure.message}`;
}

/** Where a failed Calendar API call happened, for the error it becomes. */
export interface FailureContext {
  source: string;
  calendarId: string;
  /** The API method, e.g. `events.list`. */
  call: string;
  /** Attempts made, retries included. */
  attempts: number;
  /** Where the source sits in the config file, for what-to-do hints. */
  configPath: string;
}

/**
 * A failed Calendar API call as meetsync's error: CalendarAuthError when a person must fix the
 * credential, SyncTokenExpiredError (410), PreconditionFailedError (412), else CalendarError
 * with the HTTP status. Meetsync errors pass through unchanged.
 */
export function calendarErrorOf(err: unknown, context: FailureContext): Error {
  const { source, calendarId, call, attempts, configPath } = context;
  if (err instanceof CalendarAuthError || err instanceof CalendarError) return err;
  const failure = googleFailureOf(err);
  if (!failure) {
    return new CalendarError(source, calendarId, `Google ${call} for ${calendarId} failed: ${describeError(err)}`, undefined, {
      cause: err,
    });
  }
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  if (failure.timeoutMs !== undefined) {
    // A transient CalendarError like any "no answer": the engine keeps the calendar's cursor
    // and the next cycle tries again (issue 7, point 5).
    const what = `Google ${call} for ${calendarId}`;
    // No GaxiosError as cause: its config holds the request headers (the access token).
    const cause = new TimeoutError(what, failure.timeoutMs);
    return new CalendarError(source, calendarId, `${cause.message}${tries}`, undefined, { cause });
  }
  const message = `Google ${call} for ${calendarId} failed${tries}: ${describeFailure(failure)}`;
  const status = failure.status;
  if (status === 401) {
    return new CalendarAuthError(
      source,
      calendarId,
      `Google refused a freshly issued access token for ${calendarId} (HTTP 401: ${failure.message}); ` +
        `the credential may have lost access to the calendar; check ${configPath}.auth`,
    );
  }
  if (status === 403 && (failure.reason === 'insufficientPermissions' || failure.reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT')) {
    return new CalendarAuthError(
      source,
      calendarId,
      `Google says the credential of ${configPath} lacks the scope ${CALENDAR_SCOPE} (HTTP 403 ${failure.reason}); ` +
        `grant that scope (a new refresh token, or the domain-wide delegation entry) and restart`,
    );
  }
  if (status === 410) return new SyncTokenExpiredError(source, calendarId, message, status);
  if (status === 412) return new PreconditionFailedError(source, calendarId, message, status);
  return new CalendarError(source, calendarId, message, status);
}
