import { randomUUID } from 'node:crypto';
import type { SimResponse } from '../kit/server.js';

/**
 * Microsoft Graph's error envelope, from "Microsoft Graph error responses and resource types"
 * (concepts/errors.md): `{error: {code, message, innerError: {date, request-id, client-request-id}}}`.
 * Where Microsoft's pages give a code or message (errors.md, delta-query-overview.md, throttling)
 * it is used verbatim; where they give none, the code and message are what Graph answers in the
 * field as quoted in public issue threads and Q&A (ErrorItemNotFound, ErrorInvalidUser,
 * InvalidAuthenticationToken, the /me refusal, ApplicationThrottled, TimeZoneNotSupportedException,
 * RequestBodyRead); where neither exists, the message is the simulator's own and says what is wrong.
 */

/** Thrown by the simulator's handlers and store; turned into a response in one place. */
export class GraphApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GraphApiError';
  }

  toResponse(clientRequestId?: string): SimResponse {
    return { status: this.status, headers: this.headers, body: graphErrorBody(this.code, this.message, clientRequestId) };
  }
}

/** innerError.date is UTC without fraction or zone ("2019-09-20T21:47:50", errors.md). */
export function graphErrorBody(code: string, message: string, clientRequestId?: string): Record<string, unknown> {
  const requestId = randomUUID();
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().slice(0, 19),
        'request-id': requestId,
        'client-request-id': clientRequestId ?? requestId,
      },
    },
  };
}

export function badRequest(message: string, code = 'BadRequest'): GraphApiError {
  return new GraphApiError(400, code, message);
}

/** What Exchange answers for an id that names nothing in the mailbox (or is gone). */
export function itemNotFound(): GraphApiError {
  return new GraphApiError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
}

export function invalidUser(user: string): GraphApiError {
  return new GraphApiError(404, 'ErrorInvalidUser', `The requested user '${user}' is invalid.`);
}

/** App-only tokens have no signed-in user. */
export function meWithAppOnly(): GraphApiError {
  return new GraphApiError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
}

/** 401, with the challenge Graph sends. */
export function invalidAuthenticationToken(message: string): GraphApiError {
  return new GraphApiError(401, 'InvalidAuthenticationToken', message, {
    'www-authenticate':
      'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
  });
}

export function accessDenied(): GraphApiError {
  return new GraphApiError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
}

/**
 * An app outside its application access policy for this mailbox. auth-limit-mailbox-access.md,
 * "Handling API errors": `{"error": {"code": "ErrorAccessDenied", "message": "Access to OData is disabled."}}`.
 */
export function accessPolicyDenied(): GraphApiError {
  return new GraphApiError(403, 'ErrorAccessDenied', 'Access to OData is disabled.');
}

/**
 * An expired delta token. delta-query-overview.md: "the service should respond with a 40X-series
 * error with error codes such as syncStateNotFound" (message from errors.md), and "Synchronization
 * reset": "410 (gone) and a Location header containing a request URL with an empty $deltaToken
 * (same as the initial query)". Some tenants spell the code SyncStateNotFound
 * (microsoftgraph/msgraph-sdk-javascript#99); compare codes case-insensitively.
 */
export function syncStateNotFound(initialQueryUrl: string): GraphApiError {
  return new GraphApiError(
    410,
    'syncStateNotFound',
    'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
    { location: initialQueryUrl },
  );
}

/** Outlook's per-mailbox limit of 4 concurrent requests, as answered in the field. */
export function mailboxConcurrency(retryAfterSeconds: number): GraphApiError {
  return new GraphApiError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', {
    'retry-after': String(retryAfterSeconds),
  });
}

/** Body of an injected 429 (throttling.md) or 503 (errors.md serviceNotAvailable). */
export function throttledBody(status: 429 | 503): Record<string, unknown> {
  return status === 429
    ? graphErrorBody('TooManyRequests', 'Too many requests. Please retry again later.')
    : graphErrorBody('serviceNotAvailable', 'The service is not available. Try the request again after a delay.');
}

/** "dateTimeTimeZone.timeZone" named a zone Graph does not know. */
export function timeZoneNotSupported(zone: string): GraphApiError {
  return badRequest(
    `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${zone}'.`,
    'TimeZoneNotSupportedException',
  );
}

export function invalidJson(): GraphApiError {
  return badRequest('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
}

/** Identity platform errors are flat OAuth 2.0 bodies (RFC 6749 5.2) with AADSTS codes. */
export function identityError(status: number, error: string, code: number, description: string): SimResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    status,
    headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}
