import type { z } from 'zod';
import { MalformedResponseError, NetworkError, PlatformError, ResponseTooLargeError, TimeoutError } from '../domain/errors.js';
import { scrub } from '../domain/redact.js';
import type { Logger } from '../log.js';
import { parseRetryAfter, withBackoff, type RetryVerdict } from '../net/backoff.js';
import { Deadline } from '../net/deadline.js';
import { RESPONSE_CODES } from './assumptions.js';
import { envelopeSchema, errorBodySchema, fieldOf } from './schemas.js';

/**
 * The request core of the Web Meeting client: one fetch per attempt with a deadline
 * (net/deadline.ts), typed errors that keep their cause, and retries with capped exponential
 * backoff and full jitter for the idempotent calls only (net/backoff.ts). Modelled on ky
 * (STYLE.md). Uses the global fetch: tests run it against a real server and count what arrives.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RetryOptions {
  /** Attempts in all, the first included, for GET, PUT and DELETE. POST is never retried. @default 4 */
  attempts?: number;
  /** Cap of the first backoff; doubles each attempt (full jitter: a random wait in [0, cap]). @default 500 */
  baseDelayMs?: number;
  /** Largest backoff cap. @default 30000 */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the call fails with the 429/503 instead. @default 120000 */
  maxRetryAfterMs?: number;
}

/**
 * The platform client's own defaults for the shared backoff (net/backoff.ts): one attempt fewer
 * than the calendar adapters' DEFAULT_BACKOFF, as since the client was written (592c6a6).
 */
export const RETRY_DEFAULTS: Required<RetryOptions> = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/** Told before each retry's wait, for logs and tests. */
export interface RetryEvent {
  method: HttpMethod;
  /** The request path with any token removed. */
  path: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
  /** `HTTP 503`, `NetworkError: ECONNRESET`, ... */
  reason: string;
}

export interface HttpCoreOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  retry: Required<RetryOptions>;
  logger: Logger;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  onAttempt?: ((event: AttemptEvent) => void) | undefined;
}

/**
 * Told after every attempt, answered or not: the metrics count calls by status with it, and
 * `meetsync doctor` reads the platform's clock from the Date header of its answer.
 */
export interface AttemptEvent {
  method: HttpMethod;
  /** The HTTP status, or 'error' when no answer came (network failure, timeout). */
  status: number | 'error';
  /** The answer's headers; absent when no answer came. */
  headers?: Headers;
  ms: number;
}

export interface ApiRequest {
  method: HttpMethod;
  /** Starts with `/`; appended to the base URL. May contain a feed token: never logged raw. */
  path: string;
  /** Sent as X-USER-ID: the organizer acting (tutorial, "Creating meetings"). */
  userId?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** `json` (the API: X-API-KEY, JSON accept + content-type) or `calendar` (the ICS feed). @default 'json' */
  kind?: 'json' | 'calendar';
  /** Send X-API-KEY. @default true */
  withApiKey?: boolean;
  /**
   * Refuse an answer larger than this many bytes (ResponseTooLargeError, not retried), reading no
   * further than the limit. @default no limit
   */
  maxBodyBytes?: number;
  /** Attempts in all for this call, when fewer than the client's are wanted. @default RetryOptions.attempts */
  attempts?: number;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** `PUT /api/v6/meeting/<id>/false`, with any token removed: for messages and logs. */
export function describeCall(req: Pick<ApiRequest, 'method' | 'path'>): string {
  return `${req.method} ${scrub(req.path)}`;
}

export class HttpCore {
  private readonly base: string;

  constructor(private readonly options: HttpCoreOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  /**
   * Whether `path` is sent to the API's own origin (baseUrl's scheme, host and port): the only
   * place the API key may go (assumptions.ts FEED_KEY; tutorial, "Prerequisites").
   */
  isApiOrigin(path: string): boolean {
    try {
      return new URL(this.base + path).origin === new URL(this.base).origin;
    } catch {
      return false;
    }
  }

  /**
   * Sends one call, retrying an idempotent one on network errors, timeouts, 408, 429 and 5xx
   * (except 501). Returns the last response whatever its status; throws NetworkError or
   * TimeoutError when no response came. POST is sent once: a lost answer to POST /meeting could
   * mean the meeting exists, and the sync engine owns exactly-once (sync/execute.ts).
   */
  async send(req: ApiRequest): Promise<ApiResponse> {
    const { retry } = this.options;
    const maxAttempts = req.method === 'POST' ? 1 : Math.max(1, Math.floor(Math.min(retry.attempts, req.attempts ?? retry.attempts)));
    try {
      return await withBackoff(
        async (attempt) => {
          let response: ApiResponse | undefined;
          let failure: NetworkError | TimeoutError | undefined;
          const started = Date.now();
          try {
            response = await this.once(req, attempt);
          } catch (err) {
            if (!(err instanceof NetworkError || err instanceof TimeoutError)) throw err;
            failure = err;
          }
          this.options.onAttempt?.({
            method: req.method,
            status: response?.status ?? 'error',
            ...(response ? { headers: response.headers } : {}),
            ms: Date.now() - started,
          });
          if (failure) throw failure;
          const answer = response as ApiResponse;
          if (isRetryableStatus(answer.status)) throw new RetryableAnswer(answer);
          return answer;
        },
        retryVerdict,
        {
          maxAttempts,
          baseDelayMs: retry.baseDelayMs,
          maxDelayMs: retry.maxDelayMs,
          maxRetryAfterMs: retry.maxRetryAfterMs,
          // Since it was written (592c6a6) this client has waited just the Retry-After and drawn
          // its jitter from [0, cap], where the calendar adapters take Retry-After as a floor
          // under the jitter and draw from [0, cap): kept, so that sharing the backoff changes
          // no wait. No reason for the difference is recorded; unifying it is a change of its own.
          retryAfter: 'exact',
          jitterRounding: 'nearest',
          onRetry: ({ attempt, delayMs, error }) => {
            const event: RetryEvent = {
              method: req.method,
              path: scrub(req.path),
              attempt,
              delayMs,
              reason: error instanceof RetryableAnswer ? `HTTP ${error.response.status}` : describeFailure(error),
            };
            this.options.logger.warn(event, 'retrying web meeting call');
            this.options.onRetry?.(event);
          },
        },
      );
    } catch (err) {
      // The retries are over (or the call was a POST): a retryable status is the answer.
      if (err instanceof RetryableAnswer) return err.response;
      throw err;
    }
  }

  private async once(req: ApiRequest, attempt: number): Promise<ApiResponse> {
    const json = (req.kind ?? 'json') === 'json';
    const headers: Record<string, string> = json
      ? { accept: 'application/json', 'content-type': 'application/json' }
      : { accept: 'text/calendar, text/plain;q=0.5' };
    if (req.withApiKey ?? true) {
      // The key gives full control of the platform (tutorial, "Prerequisites"): the API's origin only.
      if (!this.isApiOrigin(req.path)) throw new TypeError(`refusing to send the API key outside webMeeting.baseUrl (${describeCall(req)})`);
      headers['x-api-key'] = this.options.apiKey;
    }
    if (req.userId !== undefined) headers['x-user-id'] = req.userId;
    const started = Date.now();
    const deadline = new Deadline(this.options.timeoutMs);
    try {
      const res = await fetch(this.base + req.path, {
        method: req.method,
        headers,
        ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
        signal: deadline.signal,
        // A redirect is answered as an error rather than followed: fetch would resend the
        // X-API-KEY header to wherever the redirect points.
        redirect: 'manual',
      });
      // The timeout covers reading the body too: the same signal aborts the read.
      const text = req.maxBodyBytes === undefined ? await res.text() : await readCapped(res, req.maxBodyBytes, req);
      this.options.logger.debug(
        { method: req.method, path: scrub(req.path), status: res.status, attempt, ms: Date.now() - started },
        'web meeting call',
      );
      return { status: res.status, headers: res.headers, text };
    } catch (err) {
      if (err instanceof ResponseTooLargeError) throw err;
      const cause = safeCause(err);
      if (deadline.passed) {
        throw new TimeoutError(describeCall(req), deadline.ms, { cause });
      }
      throw new NetworkError(`${describeCall(req)} failed: ${networkReason(err)}`, { cause });
    }
  }
}

/**
 * An answer with a retryable status, thrown out of an attempt so that the shared backoff
 * (net/backoff.ts), which retries on failures, retries it; given back as the answer when the
 * retries end.
 */
class RetryableAnswer extends Error {
  constructor(readonly response: ApiResponse) {
    super(`HTTP ${response.status}`);
  }
}

/**
 * Network errors, timeouts and retryable statuses are tried again. A Retry-After counts on 429
 * and 503 only, the answers it is defined for (RFC 6585 section 4, RFC 9110 section 15.6.4).
 */
function retryVerdict(err: unknown): RetryVerdict {
  if (err instanceof NetworkError || err instanceof TimeoutError) return { retry: true };
  if (!(err instanceof RetryableAnswer)) return { retry: false };
  const { status, headers } = err.response;
  const after = status === 429 || status === 503 ? parseRetryAfter(headers.get('retry-after')) : undefined;
  return after === undefined ? { retry: true } : { retry: true, retryAfterMs: after };
}

/** `NetworkError: ECONNRESET ...`, the reason a retry event gives for a failure without an answer. */
function describeFailure(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * The body as text, refused (ResponseTooLargeError) as soon as it passes `limit` bytes: a
 * declared content-length over the limit is refused before reading, and a body without one is
 * read no further than the limit, so a server sending without end cannot fill the memory.
 */
async function readCapped(res: Response, limit: number, req: ApiRequest): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(describeCall(req), limit);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(describeCall(req), limit);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * Reads the `{responseCode, data}` envelope and parses `data` with `schema`. A non-2xx status
 * or a non-zero responseCode is a PlatformError, whichever arrives (WEB-MEETING-API.md: errors
 * may come with HTTP 200); a body that is not the documented shape is a MalformedResponseError
 * naming the first bad field.
 */
export function readEnvelope<S extends z.ZodType>(req: ApiRequest, res: ApiResponse, schema: S, what: string): z.output<S> {
  if (res.status < 200 || res.status > 299) throw platformFailure(req, res);
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch (err) {
    const type = res.headers.get('content-type') ?? 'no content-type';
    throw new MalformedResponseError(what, 'body', `not JSON (HTTP ${res.status}, ${type})`, { cause: safeCause(err) });
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    throw new MalformedResponseError(what, fieldOf('', issue) || 'body', issue?.message ?? 'not an envelope');
  }
  if (envelope.data.responseCode !== 0) throw platformFailure(req, res, envelope.data);
  const data = schema.safeParse(envelope.data.data);
  if (!data.success) {
    const issue = data.error.issues[0];
    throw new MalformedResponseError(what, fieldOf('data', issue), issue?.message ?? 'invalid');
  }
  return data.data;
}

/** What a failed call's body said, as the server said it: responseCode and message when present. */
export function failureDetails(res: ApiResponse): { responseCode?: number; responseMessage?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.text);
  } catch {
    return {};
  }
  const body = errorBodySchema.parse(parsed);
  const message = body.responseMessage ?? body.message ?? body.error;
  return {
    ...(body.responseCode === undefined ? {} : { responseCode: body.responseCode }),
    ...(message === undefined ? {} : { responseMessage: message.slice(0, 300) }),
  };
}

/** The PlatformError for a failed call; a code without a message gets the code table's text. */
export function platformFailure(
  req: ApiRequest,
  res: ApiResponse,
  envelope?: { responseCode: number; responseMessage?: string | null | undefined },
): PlatformError {
  const details = envelope
    ? { responseCode: envelope.responseCode, responseMessage: envelope.responseMessage ?? undefined }
    : failureDetails(res);
  const code = details.responseCode;
  const responseMessage = details.responseMessage ?? (code === undefined ? undefined : RESPONSE_CODES[code]);
  return new PlatformError({
    method: req.method,
    path: req.path,
    status: res.status,
    ...(code === undefined ? {} : { responseCode: code }),
    ...(responseMessage === undefined ? {} : { responseMessage }),
  });
}

/** `ECONNREFUSED`, `UND_ERR_SOCKET (other side closed)`: the useful part of undici's "fetch failed". */
/** Plain words for the socket errors undici and Node report, with their code kept for searching. */
const NETWORK_WORDS: Record<string, string> = {
  UND_ERR_SOCKET: 'the connection was closed before an answer arrived',
  ECONNRESET: 'the connection was reset',
  ECONNREFUSED: 'nothing is listening at that address (is baseUrl right, is the platform up?)',
  ENOTFOUND: 'the host name does not resolve (check baseUrl)',
  EAI_AGAIN: 'the host name could not be resolved just now (DNS)',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed (trust its CA with NODE_EXTRA_CA_CERTS)',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate is signed by an unknown CA (trust it with NODE_EXTRA_CA_CERTS)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate cannot be verified (trust its CA with NODE_EXTRA_CA_CERTS)',
};

function networkReason(err: unknown): string {
  const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (!(inner instanceof Error)) return scrub(String(inner));
  const code = (inner as { code?: unknown }).code;
  if (typeof code !== 'string') return scrub(inner.message);
  const words = NETWORK_WORDS[code];
  return scrub(words ? `${words} (${code}: ${inner.message})` : `${code} (${inner.message})`);
}

/**
 * The error to keep as `cause`, with any secret taken out of its message and stack (a URL in
 * a fetch error could carry a feed token; a JSON SyntaxError quotes the body).
 */
export function safeCause(err: unknown): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? scrub(err) : err;
  const inner = err.cause === undefined ? undefined : safeCause(err.cause);
  const message = scrub(err.message);
  const stack = err.stack === undefined ? undefined : scrub(err.stack);
  if (message === err.message && stack === err.stack && inner === err.cause) return err;
  const copy = new Error(message, inner === undefined ? undefined : { cause: inner });
  copy.name = err.name;
  if (stack !== undefined) copy.stack = stack;
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}
