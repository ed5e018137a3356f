import { readFile } from 'node:fs/promises';
// The auth classes through the Calendar API module, not `googleapis`' index (see source.ts).
import { auth as googleAuth } from 'googleapis/build/src/apis/calendar/index.js';
import type { Auth } from 'googleapis';
import { z } from 'zod';
import { CalendarAuthError, CalendarError, TimeoutError } from '../../domain/errors.js';
import { fileProblem } from '../../domain/file-problem.js';
import { registerSecret } from '../../domain/redact.js';
import type { Logger } from '../../log.js';
import { CALENDAR_SCOPE, describeFailure, googleFailureOf, isRetryable } from './failure.js';

/**
 * Access tokens for the Google adapter: OAuth (one user's refresh token) or a service account
 * with domain-wide delegation (one JWT client per calendar, impersonating its owner).
 * The adapter asks for request headers here and sends them itself, so every retry and every
 * token refresh is decided (and counted) in one place; see source.ts for why.
 */

export type GoogleAuthConfig =
  | { type: 'serviceAccount'; keyFile: string }
  | { type: 'oauth'; clientId: string; clientSecret: string; refreshToken: string };

/** Hard-coded in gtoken (src/index.ts GOOGLE_TOKEN_URL); see `redirectTokenRequests`. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

const keyFileSchema = z.object({
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  private_key_id: z.string().nullish(),
  client_id: z.string().nullish(),
});
type ServiceAccountKey = z.infer<typeof keyFileSchema>;

export interface CredentialOptions {
  source: string;
  /** Where this source sits in the config file, for messages (e.g. `sources[0]`). */
  configPath: string;
  /** Token endpoint instead of Google's (the simulator's). */
  tokenUrl?: string;
  /** Deadline of one token request, reading the answer included. */
  timeoutMs: number;
  logger: Logger;
}

type AuthClient = Auth.OAuth2Client;

/**
 * The options every auth client is built with. `transporterOptions.timeout` becomes the defaults
 * of the client's own gaxios instance (google-auth-library AuthClient constructor), which both
 * flows use for the token POST: OAuth2Client.refreshTokenNoCache and gtoken's requestToken (given
 * the JWT client's transporter). Without it a token endpoint that accepts the connection and never
 * answers holds getRequestHeaders(), and so the whole sync cycle, forever: google-auth-library sets
 * no timeout of its own (issue 7, point 5). gaxios turns it into AbortSignal.timeout() when it
 * prepares the request, before the interceptors run, so it has to be set here rather than in
 * `takeOverTransport`; node-fetch aborts the body read with the same signal.
 */
function clientOptions(timeoutMs: number): { transporterOptions: { timeout: number } } {
  return { transporterOptions: { timeout: timeoutMs } };
}

/**
 * Every request of an auth client's transporter goes through here: gaxios' own retries are
 * switched off (google-auth-library asks gaxios to retry token POSTs on 5xx/429 by itself,
 * OAuth2Client.RETRY_CONFIG), so the adapter's backoff is the only one and counts every attempt.
 * With a custom token URL, the service-account flow is redirected: gtoken posts its assertion to
 * the hard-coded https://oauth2.googleapis.com/token and has no option to change it
 * (../shared/notes/PROVIDERS.md, "Pointing the SDK at a simulator"); its requests go through the
 * JWT client's `transporter` (google-auth-library jwtclient.js createGToken), so a request
 * interceptor on that transporter is the one seam that reaches it.
 */
function takeOverTransport(client: AuthClient, tokenUrl: string | undefined, logger: Logger, calendarId?: string): void {
  client.transporter.interceptors.request.add({
    resolved: async (options) => {
      if (tokenUrl && options.url.toString() === GOOGLE_TOKEN_URL) options.url = new URL(tokenUrl);
      options.retry = false;
      delete options.retryConfig;
      return options;
    },
  });
  // A 2xx token answer whose body is not the JSON object RFC 6749 section 5.1 requires (cut
  // short, or not JSON at all): gaxios hands the text over as a string, and google-auth-library
  // then fails on it with a TypeError ("Cannot create property 'refresh_token' on string") that
  // says nothing useful. Refuse it here, as a transient failure the adapter's backoff retries.
  client.transporter.interceptors.response.add({
    resolved: async (response) => {
      const data: unknown = response.data;
      if (typeof data !== 'object' || data === null || typeof (data as { access_token?: unknown }).access_token !== 'string') {
        throw new UnreadableTokenAnswer(response.status, typeof data === 'string' ? 'not a JSON object' : 'no access_token');
      }
      return response;
    },
  });
  client.on('tokens', (tokens) => {
    registerSecret(tokens.access_token);
    registerSecret(tokens.id_token);
    logger.debug({ calendarId, expiresAt: tokens.expiry_date }, 'Google access token issued');
  });
}

/** A token answer that arrived whole enough to be read but holds no token (see takeOverTransport). */
class UnreadableTokenAnswer extends Error {
  constructor(
    readonly status: number,
    readonly problem: string,
  ) {
    super(`HTTP ${status} with a body that is ${problem}`);
  }
}

export class GoogleCredentials {
  private oauthClient: AuthClient | undefined;
  private readonly jwtClients = new Map<string, AuthClient>();
  private key: Promise<ServiceAccountKey> | undefined;

  constructor(
    private readonly auth: GoogleAuthConfig,
    private readonly options: CredentialOptions,
  ) {
    if (auth.type === 'oauth') {
      registerSecret(auth.clientSecret);
      registerSecret(auth.refreshToken);
    }
  }

  /** Authorization (and quota) headers for a request to `calendarId`. */
  async headers(calendarId: string): Promise<Record<string, string>> {
    const client = await this.clientFor(calendarId);
    try {
      const headers = await client.getRequestHeaders();
      return Object.fromEntries(headers.entries());
    } catch (err) {
      throw this.translate(err, calendarId);
    }
  }

  /**
   * Forgets the cached access token so the next `headers()` fetches a new one (after a 401).
   * An expiry in the past makes both flows refresh: OAuth2Client.getRequestMetadataAsync checks
   * isTokenExpiring(), and JWT passes the same check to gtoken as `forceRefresh`.
   */
  expire(calendarId: string): void {
    const client = this.auth.type === 'oauth' ? this.oauthClient : this.jwtClients.get(calendarId);
    if (client) client.credentials = { ...client.credentials, expiry_date: 1 };
  }

  private async clientFor(calendarId: string): Promise<AuthClient> {
    if (this.auth.type === 'oauth') {
      if (!this.oauthClient) {
        const client = new googleAuth.OAuth2({
          ...clientOptions(this.options.timeoutMs),
          clientId: this.auth.clientId,
          clientSecret: this.auth.clientSecret,
          ...(this.options.tokenUrl ? { endpoints: { oauth2TokenUrl: this.options.tokenUrl } } : {}),
        });
        takeOverTransport(client, undefined, this.options.logger);
        client.setCredentials({ refresh_token: this.auth.refreshToken });
        this.oauthClient = client;
      }
      return this.oauthClient;
    }
    const existing = this.jwtClients.get(calendarId);
    if (existing) return existing;
    const key = await this.readKey(calendarId);
    // Domain-wide delegation: the service account acts as the calendar's owner, whose address
    // is the calendar id of a user's primary calendar.
    const client = new googleAuth.JWT({
      ...clientOptions(this.options.timeoutMs),
      email: key.client_email,
      key: key.private_key,
      ...(key.private_key_id ? { keyId: key.private_key_id } : {}),
      scopes: [CALENDAR_SCOPE],
      subject: calendarId,
    });
    takeOverTransport(client, this.options.tokenUrl, this.options.logger, calendarId);
    this.jwtClients.set(calendarId, client);
    return client;
  }

  private readKey(calendarId: string): Promise<ServiceAccountKey> {
    if (this.auth.type !== 'serviceAccount') throw new Error('not a service account source');
    const keyFile = this.auth.keyFile;
    this.key ??= (async () => {
      let json: unknown;
      try {
        json = JSON.parse(await readFile(keyFile, 'utf8'));
      } catch (err) {
        const why = err instanceof SyntaxError ? 'it is not JSON' : fileProblem(err);
        throw new CalendarAuthError(
          this.options.source,
          calendarId,
          `cannot read the Google service account key file ${keyFile}: ${why}; ` +
            `download a JSON key of the service account and set ${this.options.configPath}.auth.keyFile to its path`,
        );
      }
      const parsed = keyFileSchema.safeParse(json);
      if (!parsed.success) {
        const field = parsed.error.issues[0]?.path.join('.') ?? '(file)';
        throw new CalendarAuthError(
          this.options.source,
          calendarId,
          `${keyFile} is not a Google service account JSON key (missing or bad ${field}); ` +
            `download a JSON key of the service account and set ${this.options.configPath}.auth.keyFile to its path`,
        );
      }
      registerSecret(parsed.data.private_key);
      return parsed.data;
    })();
    // A failed read is not cached: the person may fix the file while the daemon runs.
    this.key.catch(() => {
      this.key = undefined;
    });
    return this.key;
  }

  /**
   * A failed token request as one of: CalendarAuthError (a person must act; the reason says
   * what to do and never contains the credential), CalendarError with a retryable status (the
   * token endpoint is down or throttling: the adapter's backoff retries it), or the error itself
   * when it is not an HTTP failure.
   */
  private translate(err: unknown, calendarId: string): unknown {
    if (err instanceof CalendarAuthError || err instanceof CalendarError) return err;
    // Names the token request in messages about it.
    const endpoint = `Google token endpoint (${this.auth.type === 'oauth' ? 'OAuth refresh-token grant' : 'service-account JWT grant'} for ${calendarId})`;
    if (err instanceof UnreadableTokenAnswer) {
      return new CalendarError(
        this.options.source,
        calendarId,
        `${endpoint} answered ${err.message}; retried, then again next cycle`,
        undefined,
        { cause: err },
      );
    }
    const failure = googleFailureOf(err);
    if (!failure) return err;
    const { source, configPath } = this.options;
    if (failure.timeoutMs !== undefined) {
      // Transient, like any token endpoint outage: the adapter's backoff tries again, then the
      // engine keeps the calendar's cursor for the next cycle.
      const cause = new TimeoutError(endpoint, failure.timeoutMs);
      return new CalendarError(source, calendarId, cause.message, undefined, { cause });
    }
    if (isRetryable(failure)) {
      return new CalendarError(source, calendarId, `Google token endpoint: ${describeFailure(failure)}`, failure.status);
    }
    const code = failure.reason ?? `HTTP ${failure.status}`;
    const detail = failure.message && failure.message !== code ? ` (${failure.message})` : '';
    if (this.auth.type === 'oauth') {
      const reasons: Record<string, string> = {
        invalid_grant:
          `Google refused the refresh token (invalid_grant): it was revoked or expired; ` +
          `create a new one and set ${configPath}.auth.refreshToken`,
        invalid_client:
          `Google refused the OAuth client (invalid_client): the client id or secret is wrong or the client ` +
          `was deleted; check ${configPath}.auth.clientId and ${configPath}.auth.clientSecret`,
        unauthorized_client:
          `Google refused the OAuth client (unauthorized_client): the refresh token was issued to another ` +
          `client; create a refresh token with ${configPath}.auth.clientId and set ${configPath}.auth.refreshToken`,
      };
      return new CalendarAuthError(
        source,
        calendarId,
        reasons[code] ?? `Google refused the OAuth credentials (${code})${detail}; check ${configPath}.auth`,
      );
    }
    const keyFile = this.auth.keyFile;
    const reasons: Record<string, string> = {
      unauthorized_client:
        `Google refused to let the service account act as ${calendarId} (unauthorized_client): domain-wide ` +
        `delegation is not granted; in the Google Workspace admin console (Security > API controls > ` +
        `Domain-wide delegation) authorize the service account's client ID for the scope ${CALENDAR_SCOPE}`,
      invalid_grant:
        `Google refused the service account's token request for ${calendarId} (invalid_grant)${detail}: check ` +
        `that ${calendarId} is a user of the Workspace domain, that the key in ${keyFile} was not deleted, ` +
        `and that this machine's clock is right`,
      invalid_client:
        `Google refused the service account key in ${keyFile} (invalid_client)${detail}: the key or the ` +
        `service account was deleted or disabled; create a new key and set ${configPath}.auth.keyFile`,
    };
    return new CalendarAuthError(
      source,
      calendarId,
      reasons[code] ?? `Google refused the service account's token request for ${calendarId} (${code})${detail}`,
    );
  }
}
