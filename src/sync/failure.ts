import { LeaseLostError } from '../store/leases.js';
import { FeedError, MeetsyncError, PlatformError, describeError } from '../domain/errors.js';
import { isAlreadyGone } from '../webmeeting/assumptions.js';

/**
 * What a failed platform call means for the sync, decided in one place:
 * - `platform`: the platform refuses meetsync itself (API key rejected or lacking a permission,
 *   a redirect, a 404 without the platform's envelope: baseUrl points elsewhere). Every call would
 *   fail the same way, so the cycle stops for every calendar and no cursor moves. A 403 / -3 on a
 *   call in one organizer's name is first checked to be the key's (mayBeOrganizerRefusal): when
 *   the key is fine it is that organizer's alone (sync/organizer-refusals.ts).
 * - `refused`: the platform refused this event's data (responseCode -4, HTTP 400/422). Trying the
 *   same data again cannot help: the event is shown in `status` and tried again when it changes.
 * - `gone`: the meeting no longer exists on the platform (deleted by hand).
 * - `transient`: anything else (network, timeout, 429, 5xx, an unreadable answer, an unknown
 *   code). Tried again every cycle until it succeeds: a change is never dropped on a guess.
 *   An organizer's feed that cannot be read (FeedError, whatever its status, 401 and 403
 *   included) is always this: it is that organizer's problem, never the platform's (issue 16).
 */
export type FailureKind = 'platform' | 'refused' | 'gone' | 'transient';

/** ASSUMED codes (webmeeting/assumptions.ts RESPONSE_CODES): -1 API key, -2 session key, -3 not allowed. */
const CREDENTIAL_CODES = new Set([-1, -2, -3]);
const DATA_NOT_VALID = -4;

export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof PlatformHaltError) return 'platform';
  if (err instanceof FeedError || !(err instanceof PlatformError)) return 'transient';
  const { status, responseCode, responseMessage } = err;
  if (isCredentialFailure(err)) return 'platform';
  if (status !== undefined && status >= 300 && status < 400) return 'platform';
  if (status !== undefined && isAlreadyGone(status, responseCode, responseMessage)) return 'gone';
  if (status === 404 && (responseCode === undefined || responseCode === 0)) return 'platform';
  if (status === 429 || (status !== undefined && status >= 500)) return 'transient';
  if (responseCode === DATA_NOT_VALID || status === 400 || status === 422) return 'refused';
  return 'transient';
}

function isCredentialFailure(err: PlatformError): boolean {
  return err.status === 401 || err.status === 403 || (err.responseCode !== undefined && CREDENTIAL_CODES.has(err.responseCode));
}

/**
 * A refusal that may concern one organizer only: 403 / -3 "not allowed" (WEB-MEETING-API.md) on a
 * call in a user's name (X-USER-ID) is also what the platform answers for a user IT removed (the
 * simulator answers an unknown X-USER-ID so). 401, -1 (API key) and -2 (session key) never are.
 * Whether it is the key or the user is told by a call in no user's name (sync/organizer-refusals.ts).
 */
export function mayBeOrganizerRefusal(err: PlatformError): boolean {
  if (err.status === 401 || err.responseCode === -1 || err.responseCode === -2) return false;
  return err.status === 403 || err.responseCode === -3;
}

/**
 * The platform refuses meetsync as a whole (see `platform` above). Thrown through the engine to
 * end the cycle: what was done stays done, nothing after it is tried, no calendar's cursor moves
 * past a change that was not applied.
 */
export class PlatformHaltError extends MeetsyncError {
  /** The API key or its permissions: a person must act. */
  readonly credential: boolean;
  constructor(cause: PlatformError) {
    const credential = isCredentialFailure(cause);
    const what = describeError(cause);
    super(
      credential
        ? `the Web Meeting platform refused meetsync's API key (${what}); check webMeeting.apiKey and that the key has the Account and Meeting permissions. Nothing more was changed this cycle; every calendar is tried again next cycle`
        : `the Web Meeting platform did not answer as the API does (${what}); check webMeeting.baseUrl. Nothing more was changed this cycle; every calendar is tried again next cycle`,
      { cause },
    );
    this.credential = credential;
  }
}

/** Rethrows `err` as a PlatformHaltError when it is one of the `platform` kind; otherwise returns. */
export function haltIfPlatformWide(err: unknown): void {
  // A lease lost ends the cycle too (store/leases.ts): nothing more may be written for that calendar.
  if (err instanceof PlatformHaltError || err instanceof LeaseLostError) throw err;
  if (err instanceof PlatformError && classifyFailure(err) === 'platform') throw new PlatformHaltError(err);
}
