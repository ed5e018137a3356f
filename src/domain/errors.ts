import { oneLine } from './printable.js';
import { scrub } from './redact.js';

/**
 * The one error hierarchy of meetsync. Every error carries data fields and its `cause`; the
 * message is scrubbed of registered secrets when the error is made. The CLI turns errors into
 * a message and an exit code in exactly one place (src/cli/output.ts).
 */
export class MeetsyncError extends Error {
  /** Exit code the CLI uses when this error ends a command. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(scrub(message), options);
    this.name = new.target.name;
  }
}

/** The command line was wrong (unknown flag, missing argument). Exit code 2. */
export class UsageError extends MeetsyncError {
  override readonly exitCode = 2;
}

/** One problem of the config file, with the key path it concerns. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** The config file is missing, unreadable, not YAML, or fails the schema. Exit code 2. */
export class ConfigError extends MeetsyncError {
  override readonly exitCode = 2;
  readonly issues: ConfigIssue[];
  constructor(message: string, issues: ConfigIssue[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.issues = issues.map((i) => ({ path: i.path, message: scrub(i.message) }));
  }
}

/** What the Web Meeting API said when a call failed. */
export interface PlatformFailure {
  method: string;
  /** The request path with any ICS token removed. */
  path: string;
  status?: number;
  responseCode?: number;
  responseMessage?: string;
}

/** The Web Meeting API answered with a non-2xx status or a non-zero responseCode. */
export class PlatformError extends MeetsyncError {
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly responseCode: number | undefined;
  readonly responseMessage: string | undefined;
  constructor(failure: PlatformFailure, options?: { cause?: unknown }) {
    const parts = [`${failure.method} ${scrub(failure.path)} failed`];
    if (failure.status !== undefined) parts.push(`HTTP ${failure.status}`);
    if (failure.responseCode !== undefined) parts.push(`responseCode ${failure.responseCode}`);
    const detail = failure.responseMessage ? `: ${failure.responseMessage}` : '';
    super(`${parts.join(', ')}${detail}`, options);
    this.method = failure.method;
    this.path = scrub(failure.path);
    this.status = failure.status;
    this.responseCode = failure.responseCode;
    this.responseMessage = failure.responseMessage === undefined ? undefined : scrub(failure.responseMessage);
  }
}

/**
 * An organizer's meeting feed (their icsPath) answered with a non-2xx status. It concerns that
 * organizer only, never the platform or meetsync's API key as a whole (sync/failure.ts): the feed
 * is read with its own token, and its refusal says nothing of the key's other calls.
 */
export class FeedError extends PlatformError {
  /** The feed was also asked with the API key (it refused without it first). */
  readonly triedWithApiKey: boolean;
  constructor(failure: PlatformFailure, triedWithApiKey: boolean, options?: { cause?: unknown }) {
    super(triedWithApiKey ? { ...failure, responseMessage: `${failure.responseMessage ?? 'refused'} (asked without the API key, then with it)` } : failure, options);
    this.triedWithApiKey = triedWithApiKey;
  }
}

/** A call took longer than its timeout. */
export class TimeoutError extends MeetsyncError {
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(`${what} timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** An answer was larger than the caller allows (a feed of tens of megabytes): not read past the limit. */
export class ResponseTooLargeError extends MeetsyncError {
  readonly limitBytes: number;
  constructor(what: string, limitBytes: number, options?: { cause?: unknown }) {
    // `what` first and a space after it: a feed path's token is scrubbed up to the next space.
    super(`${what} answered more than ${Math.round(limitBytes / 1024 / 1024)} MiB; not read further`, options);
    this.limitBytes = limitBytes;
  }
}

/** The connection failed or was dropped before a full answer arrived. */
export class NetworkError extends MeetsyncError {}

/** A response did not have the shape the provider documents; `field` names the first bad one. */
export class MalformedResponseError extends MeetsyncError {
  readonly field: string;
  constructor(what: string, field: string, problem: string, options?: { cause?: unknown }) {
    // All three carry the provider's text (an event id, a record key in the path, a value): one
    // line of bounded length whatever it holds.
    super(`${oneLine(what)}: malformed response, ${oneLine(field)}: ${oneLine(problem)}`, options);
    this.field = oneLine(field);
  }
}

/**
 * A calendar's credential is broken (revoked refresh token, missing domain-wide delegation,
 * wrong client secret). Retrying cannot help; a person has to act, so the reason says what to do.
 */
export class CalendarAuthError extends MeetsyncError {
  readonly source: string;
  readonly calendarId: string | undefined;
  constructor(source: string, calendarId: string | undefined, reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.source = source;
    this.calendarId = calendarId;
  }
}

/** A calendar provider call failed for a reason other than the credential. */
export class CalendarError extends MeetsyncError {
  readonly source: string;
  readonly calendarId: string | undefined;
  readonly status: number | undefined;
  constructor(
    source: string,
    calendarId: string | undefined,
    message: string,
    status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.source = source;
    this.calendarId = calendarId;
    this.status = status;
  }
}

/** The event changed since it was read (HTTP 412 on If-Match); re-read and re-apply. */
export class PreconditionFailedError extends CalendarError {}

/** The event to write is cancelled or gone (404): whatever meeting it holds must be cancelled, not written into. */
export class EventGoneError extends CalendarError {}

/** The sync token or delta link is no longer valid (HTTP 410): read the calendar fully again. */
export class SyncTokenExpiredError extends CalendarError {}

/** A data file (ICS feed, stored state) could not be read as what it claims to be. */
export class DataError extends MeetsyncError {}

/**
 * The database cannot be used: its file cannot be created, opened or written, it is not a
 * meetsync database, or its schema is damaged. Like a config error, a person must fix the setup
 * (the `database` key, the folder, a backup) before anything can run. Exit code 2.
 */
export class DatabaseError extends MeetsyncError {
  override readonly exitCode = 2;
}

/** A safety rule stopped an action (mass cancellation, empty read). */
export class SafetyStopError extends MeetsyncError {}

/** Renders any thrown value as one line a person can read, with no secret in it. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return scrub(err.message).split('\n')[0] ?? err.name;
  return scrub(String(err));
}
