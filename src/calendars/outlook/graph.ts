import {
  AuthenticationHandler,
  AuthenticationHandlerOptions,
  Client,
  type AuthenticationProvider,
} from '@microsoft/microsoft-graph-client';
import pLimit, { type LimitFunction } from 'p-limit';
import { CalendarAuthError, CalendarError } from '../../domain/errors.js';
import { describeError } from '../../domain/errors.js';
import type { Logger } from '../../log.js';
import { withBackoff, type BackoffOptions, type RetryVerdict } from '../../net/backoff.js';
import { AuthorityBusyError, type OutlookCredentials } from './auth.js';
import { UserRateLimits, type RateLimit } from '../../net/request-rate.js';
import { Deadline } from '../../net/deadline.js';
import { refreshTokenOnce } from '../../net/refresh-once.js';
import { HttpsMessageHandler } from './https-handler.js';
import { calendarErrorOf, graphFailureOf, isItemGone, isRetryable, type GraphFailure } from './failure.js';

/**
 * Every Microsoft Graph request of the Outlook adapter, sent by @microsoft/microsoft-graph-client
 * with a middleware chain of our own: AuthenticationHandler -> HttpsMessageHandler (node:https
 * with keep-alive in place of the client's fetch; https-handler.ts says why).
 *
 * - The client's default chain (Client.init with an authProvider) adds a RetryHandler that
 *   retries 429/503/504 by itself, uncounted, and a RedirectHandler; here one backoff
 *   (net/backoff.ts) retries, honours Retry-After and counts every attempt, and redirects are not
 *   followed (`redirect: 'manual'`): a token must not travel to wherever a 3xx points.
 * - AuthenticationHandler attaches `Authorization: Bearer` only to https URLs of Graph's own
 *   hosts or of `customHosts` (GraphRequestUtil.isGraphURL / isCustomHost, which compare the host
 *   name without the port), so the configured graphBaseUrl's host name goes into customHosts and
 *   graphBaseUrl must be https.
 * - The token provider is given per request (AuthenticationHandlerOptions), so a token failure
 *   is reported for the mailbox that needed it and keeps its meetsync error class (the client
 *   would otherwise wrap it into a GraphError).
 * - At most `maxConcurrent` requests per mailbox are in flight: Outlook answers a fifth
 *   concurrent request to one mailbox with 429 MailboxConcurrency (learn.microsoft.com/graph/
 *   throttling-limits, "Outlook service limits": 4 concurrent requests), and at most
 *   `rateLimit` over time (10,000 per 10 minutes there).
 * - Every attempt has a deadline, reading the answer included (AbortSignal.timeout through the
 *   client's fetch options).
 */

export interface GraphCall {
  mailbox: string;
  method: 'GET' | 'PATCH' | 'POST' | 'DELETE';
  /** A path under the version ("/users/{id}/events/{id}?...") or a full link Graph returned. */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Names the call in messages, e.g. `GET calendarView/delta`. */
  what: string;
}

export interface GraphTransportOptions {
  source: string;
  configPath: string;
  clientId: string;
  /** The Graph origin, https. */
  origin: URL;
  credentials: OutlookCredentials;
  timeoutMs: number;
  retry: BackoffOptions;
  maxConcurrent: number;
  /**
   * Requests per mailbox over time. Outlook allows 10,000 requests per 10 minutes per app per
   * mailbox (learn.microsoft.com/graph/throttling-limits, "Outlook service limits"). @default no limit
   */
  rateLimit?: RateLimit | undefined;
  logger: Logger;
  /** Told the HTTP status of every Graph attempt ('error' when no answer came): the daemon's metrics. */
  onAttempt?: ((status: number | 'error') => void) | undefined;
}

/** A Graph answer that failed, as data, with the client's error kept out of messages. */
class FailedCall extends Error {
  constructor(
    readonly failure: GraphFailure | undefined,
    readonly original: unknown,
  ) {
    super(failure ? `${failure.status ?? 'no answer'} ${failure.code ?? ''}` : describeError(original));
  }
}

export class GraphTransport {
  /** Graph requests sent (every attempt), retries among them, and forced token refreshes. */
  readonly stats = { requests: 0, retries: 0, tokenRefreshes: 0 };
  private readonly client: Client;
  /** Per mailbox (lower-cased): its requests in flight, served in arrival order. */
  private readonly slots = new Map<string, LimitFunction>();
  private readonly rates: UserRateLimits;

  constructor(private readonly options: GraphTransportOptions) {
    this.rates = new UserRateLimits(options.rateLimit);
    const auth = new AuthenticationHandler({
      // Replaced per request (see send); reached only if a request is sent without its options.
      getAccessToken: () => Promise.reject(new Error('Graph request sent without a token provider')),
    });
    auth.setNext(new HttpsMessageHandler());
    this.client = Client.initWithMiddleware({
      middleware: auth,
      baseUrl: `${options.origin.origin}/`,
      defaultVersion: 'v1.0',
      customHosts: new Set([options.origin.hostname]),
      fetchOptions: { redirect: 'manual' },
    });
  }

  /** Sends a call with backoff; the parsed JSON body of the answer. */
  async call(call: GraphCall): Promise<unknown> {
    return this.run(call, false);
  }

  /** Like `call`, but a 404 that says the item does not exist answers null. */
  async callOrGone(call: GraphCall): Promise<unknown> {
    return this.run(call, true);
  }

  private slotsOf(mailbox: string): LimitFunction {
    let slots = this.slots.get(mailbox.toLowerCase());
    if (!slots) {
      slots = pLimit(this.options.maxConcurrent);
      this.slots.set(mailbox.toLowerCase(), slots);
    }
    return slots;
  }

  private async run(call: GraphCall, goneIsNull: boolean): Promise<unknown> {
    const { credentials, logger, timeoutMs } = this.options;
    let attempts = 0;
    const refreshingOnce = refreshTokenOnce({
      refused: (err) => err instanceof FailedCall && err.failure?.status === 401,
      refresh: () => {
        // "401 Unauthorized: ... not valid for the resource" (errors.md): one new token, then
        // the same request once more; a second 401 is a credential problem for a person.
        this.stats.tokenRefreshes += 1;
        credentials.expire();
        logger.info({ mailbox: call.mailbox, call: call.what }, 'Graph refused the access token (HTTP 401); refreshing it once');
      },
    });
    try {
      return await withBackoff(
        () =>
          refreshingOnce(async () => {
            attempts += 1;
            this.stats.requests += 1;
            const tokenFailure: { error?: unknown } = {};
            // A slot of the mailbox first, then its turn under the rate: a request never waits
            // for its slot after its turn, which could bunch sends beyond the rate.
            const answer = await this.slotsOf(call.mailbox)(async () => {
              await this.rates.turn(call.mailbox);
              const deadline = new Deadline(timeoutMs);
              try {
                return { ok: true as const, body: await this.send(call, deadline.signal, tokenFailure) };
              } catch (error) {
                return { ok: false as const, error, timedOut: deadline.passed };
              }
            });
            if (answer.ok) {
              // The Graph client hands back the body only; GET and PATCH answer 200 (event-get.md,
              // event-update.md), the subscription POST 201 and DELETE 204, counted as 200 here.
              this.options.onAttempt?.(200);
              return answer.body;
            }
            const err = answer.error;
            if (tokenFailure.error !== undefined) throw tokenFailure.error;
            const failure = graphFailureOf(err);
            this.options.onAttempt?.(failure?.status ?? 'error');
            if (failure && answer.timedOut) failure.timeoutMs = timeoutMs;
            if (goneIsNull && failure && isItemGone(failure)) return null;
            throw new FailedCall(failure, err);
          }),
        (err) => this.verdict(err),
        {
          ...this.options.retry,
          onRetry: ({ attempt, delayMs, error }) => {
            this.stats.retries += 1;
            logger.warn(
              { mailbox: call.mailbox, call: call.what, attempt, delayMs, error: describeError(this.errorOf(error, call, attempts)) },
              'Graph call failed; retrying after backoff',
            );
          },
        },
      );
    } catch (err) {
      throw this.errorOf(err, call, attempts);
    }
  }

  private send(call: GraphCall, signal: AbortSignal, tokenFailure: { error?: unknown }): Promise<unknown> {
    const provider: AuthenticationProvider = {
      getAccessToken: async () => {
        try {
          return await this.options.credentials.token(call.mailbox);
        } catch (err) {
          tokenFailure.error = err;
          throw err;
        }
      },
    };
    const request = this.client
      .api(call.path)
      .middlewareOptions([new AuthenticationHandlerOptions(provider)])
      .option('signal', signal)
      .headers(call.headers ?? {});
    switch (call.method) {
      case 'GET':
        return request.get();
      case 'PATCH':
        return request.patch(call.body);
      case 'POST':
        return request.post(call.body);
      case 'DELETE':
        return request.delete();
    }
  }

  private verdict(err: unknown): RetryVerdict {
    if (err instanceof CalendarAuthError) return { retry: false };
    // outlook/auth.ts turns only retryable token failures (5xx, 429, no answer) into a plain CalendarError.
    if (err instanceof AuthorityBusyError && err.retryAfterMs !== undefined) return { retry: true, retryAfterMs: err.retryAfterMs };
    if (err instanceof CalendarError) return { retry: true };
    if (!(err instanceof FailedCall) || !err.failure || !isRetryable(err.failure)) return { retry: false };
    const { retryAfterMs } = err.failure;
    return retryAfterMs === undefined ? { retry: true } : { retry: true, retryAfterMs };
  }

  private errorOf(err: unknown, call: GraphCall, attempts: number): Error {
    const context = { source: this.options.source, mailbox: call.mailbox, call: call.what, attempts, clientId: this.options.clientId, configPath: this.options.configPath };
    if (err instanceof FailedCall) return calendarErrorOf(err.original, err.failure, context);
    return calendarErrorOf(err, undefined, context);
  }
}
