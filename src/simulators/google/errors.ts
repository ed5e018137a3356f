import type { SimResponse } from '../kit/server.js';

/**
 * Google's JSON error envelopes, copied from "Handle API errors"
 * (developers.google.com/workspace/calendar/api/guides/errors). Each builder returns the body
 * exactly as that page shows it; where the page gives no text (the 400s a list request earns for
 * a forbidden parameter combination) the message is the simulator's own and says what is wrong.
 */

export interface GoogleErrorItem {
  domain: string;
  reason: string;
  message: string;
  locationType?: string;
  location?: string;
}

export interface GoogleErrorBody {
  error: { errors: GoogleErrorItem[]; code: number; message: string; status?: string };
}

/** Thrown inside the simulator's handlers and store; turned into a response in one place. */
export class GoogleApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: GoogleErrorBody | Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
    this.name = 'GoogleApiError';
  }

  toResponse(): SimResponse {
    return { status: this.status, headers: this.headers, body: this.body };
  }
}

export function envelope(code: number, item: GoogleErrorItem, status?: string): GoogleErrorBody {
  return { error: { errors: [item], code, message: item.message, ...(status ? { status } : {}) } };
}

function fail(code: number, item: GoogleErrorItem, status?: string, headers?: Record<string, string>): GoogleApiError {
  return new GoogleApiError(code, envelope(code, item, status), headers);
}

/** 400 with reason `invalid` (a bad value) or `badRequest` (a bad combination), per guides/errors. */
export function badRequest(message: string, location?: string, reason = 'invalid'): GoogleApiError {
  return fail(400, {
    domain: 'global',
    reason,
    message,
    ...(location ? { locationType: 'parameter', location } : {}),
  });
}

/** guides/errors "400: Bad Request" example, verbatim. */
export function timeRangeEmpty(): GoogleApiError {
  return fail(400, {
    domain: 'calendar',
    reason: 'timeRangeEmpty',
    message: 'The specified time range is empty.',
    locationType: 'parameter',
    location: 'timeMax',
  });
}

/** A required field is missing from the request body. */
export function required(message: string): GoogleApiError {
  return fail(400, { domain: 'global', reason: 'required', message });
}

/**
 * 401. The errors[] item is guides/errors "401: Invalid Credentials"; the top-level message and
 * status are what www.googleapis.com answers today (the brief quotes it), and Google adds a
 * WWW-Authenticate challenge.
 */
export function invalidCredentials(): GoogleApiError {
  return new GoogleApiError(
    401,
    {
      error: {
        code: 401,
        message:
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        errors: [
          {
            domain: 'global',
            reason: 'authError',
            message: 'Invalid Credentials',
            locationType: 'header',
            location: 'Authorization',
          },
        ],
        status: 'UNAUTHENTICATED',
      },
    },
    { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
  );
}

/** guides/errors "404: Not Found": also what a calendar the caller may not see answers. */
export function notFound(): GoogleApiError {
  return fail(404, { domain: 'global', reason: 'notFound', message: 'Not Found' });
}

/** guides/errors "409: The requested identifier already exists". */
export function duplicate(): GoogleApiError {
  return fail(409, { domain: 'global', reason: 'duplicate', message: 'The requested identifier already exists.' });
}

/** guides/errors "410: Gone", fullSyncRequired variant. */
export function fullSyncRequired(): GoogleErrorBody {
  return envelope(410, {
    domain: 'calendar',
    reason: 'fullSyncRequired',
    message: 'Sync token is no longer valid, a full sync is required.',
    locationType: 'parameter',
    location: 'syncToken',
  });
}

/** guides/errors "410: Gone", deleted variant: deleting an event that is already deleted. */
export function deleted(): GoogleApiError {
  return fail(410, { domain: 'global', reason: 'deleted', message: 'Resource has been deleted' });
}

/** guides/errors "412: Precondition Failed": the If-Match etag is stale. */
export function conditionNotMet(): GoogleApiError {
  return fail(412, {
    domain: 'global',
    reason: 'conditionNotMet',
    message: 'Precondition Failed',
    locationType: 'header',
    location: 'If-Match',
  });
}

/** guides/errors "403: Rate Limit Exceeded" / "403: User Rate Limit Exceeded" / "429". */
export function rateLimitBody(
  status: 403 | 429,
  reason: 'rateLimitExceeded' | 'userRateLimitExceeded' | 'quotaExceeded' = 'rateLimitExceeded',
): GoogleErrorBody {
  const message =
    reason === 'userRateLimitExceeded'
      ? 'User Rate Limit Exceeded'
      : reason === 'quotaExceeded'
        ? 'Calendar usage limits exceeded.'
        : 'Rate Limit Exceeded';
  return envelope(status, { domain: 'usageLimits', reason, message });
}

/** guides/errors "500: Backend Error" (also used for other injected 5xx). */
export function backendErrorBody(status = 500): GoogleErrorBody {
  return envelope(status, { domain: 'global', reason: 'backendError', message: 'Backend Error' });
}

/** OAuth 2.0 token endpoint errors use RFC 6749 section 5.2's flat shape, as Google's does. */
export function oauthError(status: number, error: string, description: string): GoogleApiError {
  return new GoogleApiError(status, { error, error_description: description });
}
