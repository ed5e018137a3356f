import { GraphError } from '@microsoft/microsoft-graph-client';
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

/**
 * What a failed Microsoft Graph call means, read from the Graph client's GraphError into plain
 * data so the adapter decides retries and messages without vendor types.
 *
 * Graph errors are `{error: {code, message, innerError}}` with the HTTP status
 * (learn.microsoft.com/graph/errors). The codes that matter here:
 * - 410 Gone, `syncStateNotFound` ("The delta token is expired") and `resyncRequired`: the
 *   delta link is dead, read the window afresh (event-delta.md; errors.md, "Code property");
 * - 404 `ErrorItemNotFound` / `itemNotFound`: the event is gone; any other 404 (an unknown or
 *   mail-less user, `ErrorInvalidUser`, `MailboxNotEnabledForRESTAPI`) proves nothing about it;
 * - 403 `ErrorAccessDenied` / `accessDenied` / `Authorization_RequestDenied`, and
 *   `extensionError` ("an application policy prevents the application from accessing the
 *   mailbox"): a person must grant access;
 * - 429 and 503/504 with Retry-After (throttling.md: "Wait the number of seconds specified in
 *   the Retry-After field"); 412 on a stale If-Match ("A precondition provided in the request
 *   (such as an if-match header) does not match the resource's current state").
 */
export interface GraphFailure {
  /** HTTP status; absent when no answer arrived. */
  status?: number;
  /** Graph's `error.code`, or the transport's error name when there was no answer. */
  code?: string;
  message: string;
  retryAfterMs?: number;
  /** Set when no (full) answer arrived within the call's deadline. */
  timeoutMs?: number;
  /** Where a 3xx answer pointed (never followed: see outlook/graph.ts). */
  location?: string;
}

const errorBodySchema = z.object({ code: z.string().nullish(), message: z.string().nullish() });

/** Codes of a 404 that mean "this event does not exist" (and not "this mailbox does not"). */
const ITEM_GONE = new Set(['erroritemnotfound', 'itemnotfound']);
const EXPIRED = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid']);
const DENIED = new Set(['erroraccessdenied', 'accessdenied', 'authorization_requestdenied', 'extensionerror']);

/** The failure as data; `timeoutMs` is set by the caller, who owns the deadline. */
export function graphFailureOf(err: unknown): GraphFailure | undefined {
  if (!(err instanceof GraphError)) return undefined;
  const failure: GraphFailure = { message: err.message || 'no message' };
  if (err.statusCode > 0) failure.status = err.statusCode;
  if (err.code) failure.code = err.code;
  // constructErrorFromResponse keeps the JSON `error` object as a string in `body`.
  if (typeof err.body === 'string' && err.body.startsWith('{')) {
    try {
      const parsed = errorBodySchema.safeParse(JSON.parse(err.body));
      if (parsed.success && parsed.data.message) failure.message = parsed.data.message;
    } catch {
      // Not JSON: the message Graph gave stays.
    }
  } else if (typeof err.body === 'string' && err.body !== '' && failure.status !== undefined) {
    failure.message = err.body.slice(0, 300);
  }
  const headers = err.headers;
  if (headers && typeof headers.get === 'function') {
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'), Date.now(), { dates: 'any' });
    if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
    const location = headers.get('location');
    if (location) failure.location = location;
  }
  return failure;
}

const codeOf = (failure: GraphFailure): string => (failure.code ?? '').toLowerCase();

/** The event does not exist (a positive answer, not an unknown mailbox). */
export function isItemGone(failure: GraphFailure): boolean {
  return failure.status === 404 && ITEM_GONE.has(codeOf(failure));
}

export function isDeltaExpired(failure: GraphFailure): boolean {
  return failure.status === 410 || EXPIRED.has(codeOf(failure));
}

/** A write lost a race with another change (412 on If-Match; Exchange's 409 conflict). */
export function isConflict(failure: GraphFailure): boolean {
  return failure.status === 412 || (failure.status === 409 && codeOf(failure) === 'errorirresolvableconflict');
}

/**
 * Worth trying again after a wait: throttling (429, and 503/504 which Graph pairs with
 * Retry-After), other server errors, and no answer at all. Not 401 (the adapter refreshes the
 * token once itself) and never a 4xx that says the request or the access is wrong.
 */
export function isRetryable(failure: GraphFailure): boolean {
  if (failure.status === undefined) return true;
  return failure.status === 429 || failure.status >= 500;
}

/** "HTTP 403 ErrorAccessDenied: Access is denied", for messages. */
export function describeFailure(failure: GraphFailure): string {
  if (failure.timeoutMs !== undefined) return `no answer within ${failure.timeoutMs} ms`;
  const head = failure.status === undefined ? 'no answer' : `HTTP ${failure.status}`;
  const code = failure.code && failure.code !== 'Error' ? ` ${failure.code}` : '';
  return `${head}${code}: ${failure.message}`;
}

/** Where a failed call happened, for the error it becomes. */
export interface FailureContext {
  source: string;
  mailbox: string;
  /** e.g. `GET calendarView/delta`. */
  call: string;
  attempts: number;
  /** The app registration, named in what-to-do hints. */
  clientId: string;
  /** Where the source sits in the config file, e.g. `sources[1]`. */
  configPath: string;
}

/** What the admin must do when Graph denies the app access to a mailbox. */
export function accessHint(mailbox: string, clientId: string): string {
  return (
    `grant the app registration ${clientId} the Microsoft Graph application permission Calendars.ReadWrite ` +
    `with admin consent (Entra admin center > App registrations > API permissions), and if Exchange limits the app ` +
    `to some mailboxes (an application access policy or RBAC for Applications), add ${mailbox} to its scope`
  );
}

/**
 * A failed Graph call as meetsync's error: CalendarAuthError when a person must act,
 * SyncTokenExpiredError (410), PreconditionFailedError (412), else CalendarError with the status.
 * Meetsync errors pass through unchanged (the token provider already translated its own).
 */
export function calendarErrorOf(err: unknown, failure: GraphFailure | undefined, context: FailureContext): Error {
  const { source, mailbox, call, attempts, clientId, configPath } = context;
  if (err instanceof CalendarAuthError || err instanceof CalendarError) return err;
  if (!failure) {
    return new CalendarError(source, mailbox, `Graph ${call} for ${mailbox} failed: ${describeError(err)}`);
  }
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  if (failure.timeoutMs !== undefined) {
    // Transient: the engine keeps the mailbox's cursor and tries again next cycle. No GraphError
    // as cause: its request options hold the Authorization header.
    const cause = new TimeoutError(`Graph ${call} for ${mailbox}`, failure.timeoutMs);
    return new CalendarError(source, mailbox, `${cause.message}${tries}`, undefined, { cause });
  }
  const message = `Graph ${call} for ${mailbox} failed${tries}: ${describeFailure(failure)}`;
  const status = failure.status;
  if (status === 401) {
    return new CalendarAuthError(
      source,
      mailbox,
      `Microsoft Graph refused a freshly issued token for ${mailbox} (HTTP 401: ${failure.message}); ` +
        `check that ${configPath}.auth.tenantId is the tenant of ${mailbox} and ${accessHint(mailbox, clientId)}`,
    );
  }
  if (status === 403 || DENIED.has(codeOf(failure))) {
    return new CalendarAuthError(
      source,
      mailbox,
      `Microsoft Graph denied the app access to the calendar of ${mailbox} (${describeFailure(failure)}); ${accessHint(mailbox, clientId)}`,
    );
  }
  if (isDeltaExpired(failure)) return new SyncTokenExpiredError(source, mailbox, message, status);
  if (isConflict(failure)) return new PreconditionFailedError(source, mailbox, message, status);
  if (status !== undefined && status >= 300 && status < 400) {
    // Redirects are not followed (outlook/graph.ts): the token must not travel to wherever they point.
    const where = failure.location ? ` to ${failure.location}` : '';
    return new CalendarError(source, mailbox, `Graph ${call} for ${mailbox} was redirected${where} (HTTP ${status}); not followed: check ${configPath}.graphBaseUrl`, status);
  }
  if (status === 404 && !isItemGone(failure)) {
    // Not the item but the mailbox: an unknown user, or one without an Exchange Online mailbox.
    return new CalendarError(source, mailbox, `${message}; check that ${mailbox} is a mailbox of the tenant (${configPath}.mailboxes)`, status);
  }
  return new CalendarError(source, mailbox, message, status);
}
