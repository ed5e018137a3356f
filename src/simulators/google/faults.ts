import { backendErrorBody, fullSyncRequired, rateLimitBody } from './errors.js';
import { transportFault, type FaultName, type FaultWire } from '../kit/faults.js';
import type { FaultKind } from '../kit/faults.js';

/**
 * How Google answers each kind of a fault campaign (faults.ts), from "Handle API errors"
 * (developers.google.com/workspace/calendar/api/guides/errors): 500 and 503 backendError, 429 and
 * 403 rateLimitExceeded (usageLimits), 410 fullSyncRequired, the last only to an events.list that
 * sends a syncToken ("Synchronize resources efficiently": an expired token answers 410).
 * The OAuth token endpoint answers in RFC 6749's flat shape, as google/oauth.ts does; it never
 * answers a 403 rate limit or a 410.
 */
export const googleFaultWire: FaultWire = (name, target, retryAfterSeconds) => {
  if (target.path === '/token') return tokenFault(name, retryAfterSeconds);
  switch (name) {
    case 'server-error':
      return { kind: 'status', status: 500, body: backendErrorBody(500) };
    case 'unavailable':
      return { kind: 'status', status: 503, body: backendErrorBody(503) };
    case 'throttled':
      return { kind: 'status', status: 429, retryAfterSeconds, body: rateLimitBody(429) };
    case 'rate-limited':
      return { kind: 'status', status: 403, body: rateLimitBody(403, 'rateLimitExceeded') };
    case 'sync-gone':
      return target.method === 'GET' && target.query.has('syncToken') ? { kind: 'status', status: 410, body: fullSyncRequired() } : undefined;
    default:
      return transportFault(name);
  }
};

function tokenFault(name: FaultName, retryAfterSeconds: number): FaultKind | undefined {
  switch (name) {
    case 'server-error':
      return { kind: 'status', status: 500, body: { error: 'server_error', error_description: 'Backend Error' } };
    case 'unavailable':
      return { kind: 'status', status: 503, retryAfterSeconds, body: { error: 'temporarily_unavailable', error_description: 'The service is currently unavailable.' } };
    case 'throttled':
    case 'rate-limited':
    case 'sync-gone':
      return undefined;
    default:
      return transportFault(name);
  }
}
