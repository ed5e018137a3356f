import { transportFault, type FaultWire } from '../kit/faults.js';

/**
 * How the Web Meeting platform answers each kind of a fault campaign (faults.ts). WEB-MEETING-API.md:
 * errors carry the v1 envelope `{responseCode: <negative>, responseMessage, data: null}`, -99 is
 * "unknown"; rate limiting is not documented, "honour 429 + Retry-After if it ever comes".
 * The platform has no 403 rate limit (a 403 there means "not allowed", -3) and no sync tokens (410).
 */
export const webMeetingFaultWire: FaultWire = (name, _target, retryAfterSeconds) => {
  switch (name) {
    case 'server-error':
      return { kind: 'status', status: 500, body: envelope('internal server error') };
    case 'unavailable':
      return { kind: 'status', status: 503, retryAfterSeconds, body: envelope('service unavailable') };
    case 'throttled':
      return { kind: 'status', status: 429, retryAfterSeconds, body: envelope('too many requests') };
    case 'rate-limited':
    case 'sync-gone':
      return undefined;
    default:
      return transportFault(name);
  }
};

function envelope(responseMessage: string): Record<string, unknown> {
  return { responseCode: -99, responseMessage, data: null };
}
