import { transportFault, type FaultName, type FaultWire } from '../kit/faults.js';
import { graphErrorBody, identityError, throttledBody } from './errors.js';
import type { FaultKind } from '../kit/faults.js';

/**
 * How Microsoft answers each kind of a fault campaign (faults.ts).
 * Graph (/v1.0/…), from "Microsoft Graph error responses and resource types" (graph/errors) and
 * "throttling": 500 generalException, 503 serviceNotAvailable and 429 TooManyRequests, both with
 * Retry-After; 410 syncStateNotFound with a Location of the initial delta query
 * (delta-query-overview.md "Synchronization reset"), only to a delta request that carries a
 * state token ($deltatoken or $skiptoken). Graph never answers Google's 403 rateLimitExceeded.
 * The identity platform (token, discovery): AADSTS bodies in RFC 6749's flat shape
 * (reference-error-codes: `temporarily_unavailable`, "The server is temporarily too busy").
 */
export const graphFaultWire: FaultWire = (name, target, retryAfterSeconds) => {
  if (!/^\/v1\.0\//i.test(target.path)) return identityFault(name, retryAfterSeconds);
  switch (name) {
    case 'server-error':
      return { kind: 'status', status: 500, body: graphErrorBody('generalException', 'An unspecified error has occurred.') };
    case 'unavailable':
      return { kind: 'status', status: 503, retryAfterSeconds, body: throttledBody(503) };
    case 'throttled':
      return { kind: 'status', status: 429, retryAfterSeconds, body: throttledBody(429) };
    case 'rate-limited':
      return undefined;
    case 'sync-gone': {
      const stateToken = [...target.query.keys()].some((k) => /^\$(delta|skip)token$/i.test(k));
      const delta = /^(.*\/calendarView\/delta)$/i.exec(target.path);
      if (target.method !== 'GET' || !stateToken || !delta) return undefined;
      return {
        kind: 'status',
        status: 410,
        headers: { location: `${target.origin}${delta[1]!}` },
        body: graphErrorBody('syncStateNotFound', 'The sync state generation is not found. The delta token is expired and data must be synchronized again.'),
      };
    }
    default:
      return transportFault(name);
  }
};

/**
 * The identity platform's failures. A 5xx there is answered as 503 with Retry-After: msal-node
 * remembers a 429/5xx and refuses every token request until Retry-After has passed, or for 60 s
 * without one (msal-common ThrottlingUtils, DEFAULT_THROTTLE_TIME_SECONDS). A minute is nothing
 * on a 5-minute schedule but longer than a whole campaign, whose cycles follow each other at once.
 */
function identityFault(name: FaultName, retryAfterSeconds: number): FaultKind | undefined {
  switch (name) {
    case 'server-error':
    case 'unavailable': {
      const answer = identityError(503, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.');
      return { kind: 'status', status: 503, body: answer.body, headers: { ...answer.headers, 'retry-after': String(retryAfterSeconds) } };
    }
    case 'throttled':
    case 'rate-limited':
    case 'sync-gone':
      return undefined;
    default:
      return transportFault(name);
  }
}
