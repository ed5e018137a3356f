import {
  AuthError,
  ConfidentialClientApplication,
  LogLevel,
  ServerError,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { CalendarAuthError, CalendarError, TimeoutError } from '../../domain/errors.js';
import { registerSecret, scrub } from '../../domain/redact.js';
import type { Logger } from '../../log.js';
import { parseRetryAfter } from '../../net/backoff.js';
import { Deadline } from '../../net/deadline.js';
import { CertificateProblemError, loadCertificate, type OutlookCertificateConfig } from './certificate.js';
import { accessHint } from './failure.js';
import { ConfigError } from '../../domain/errors.js';

/**
 * App-only access tokens for Microsoft Graph: the OAuth client credentials grant through
 * @azure/msal-node's ConfidentialClientApplication, which caches the token until shortly before
 * it expires. One token serves every mailbox of the source; a broken credential is reported for
 * each mailbox that needed it, so each fails alone in `status` and the other sources go on.
 *
 * Every request msal makes goes through `GuardedNetworkClient` (msal's `system.networkClient`
 * seam): it has a deadline (msal's own client sets none on the token POST), and it refuses any
 * URL outside the configured authority host, so a config pointing at a simulator can never send
 * the client secret (or a signed client assertion) to a real Microsoft host (or anywhere a
 * discovery document points). The credential is a client secret or a certificate
 * (outlook/certificate.ts).
 */

/** Exactly one of clientSecret and clientCertificate (some tenants forbid client secrets). */
export interface OutlookAuthConfig {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  clientCertificate?: OutlookCertificateConfig;
}

export interface CredentialOptions {
  source: string;
  /** Where this source sits in the config file, for messages (e.g. `sources[1]`). */
  configPath: string;
  /** https://login.microsoftonline.com unless the config says otherwise. */
  authorityHost: string;
  /** The Graph origin; it decides the token's resource (graphScopeOf). */
  graphOrigin: string;
  /** Deadline of one request to the authority, reading the answer included. */
  timeoutMs: number;
  logger: Logger;
}

/**
 * Microsoft's authority hosts, for which msal carries endpoint and instance metadata of its own
 * (msal-common AuthorityMetadata.ts) and asks no discovery at all. Any other host is named in
 * `knownAuthorities`, which stops msal from asking login.microsoftonline.com for instance
 * discovery (../shared/notes/PROVIDERS.md: offline that fails after about 5 s with
 * endpoints_resolution_error); msal then reads `{authority}/v2.0/.well-known/openid-configuration`
 * from that host itself.
 */
const MICROSOFT_AUTHORITIES = new Set([
  'login.microsoftonline.com',
  'login.microsoft.com',
  'login.windows.net',
  'sts.windows.net',
  'login.microsoftonline.us',
  'login.usgovcloudapi.net',
  'login.partner.microsoftonline.cn',
  'login.chinacloudapi.cn',
]);

/**
 * Microsoft Graph's service roots (learn.microsoft.com/graph/deployments, "Microsoft Graph and
 * Graph Explorer service root endpoints"): the global service and the national clouds.
 */
const GRAPH_ROOTS = new Set(['graph.microsoft.com', 'graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn']);

/**
 * The client credentials scope: "the resource identifier (application ID URI) of the resource
 * you want, affixed with the .default suffix. For Microsoft Graph, the value is
 * https://graph.microsoft.com/.default" (v2-oauth2-client-creds-grant-flow.md); a national
 * cloud's Graph is its own resource ("Any permission scope value (including the .default scope)
 * that contains the Microsoft Graph domain MUST use the domain of the Microsoft Graph service
 * root endpoint for the national cloud deployment", graph/sdks/national-clouds.md). The resource
 * is what the token is for, not where requests go: a graphBaseUrl on any other host (a
 * simulator, a proxy) still serves Microsoft Graph, so the token is asked for the global Graph.
 */
export function graphScopeOf(graphOrigin: string): string {
  const url = new URL(graphOrigin);
  return GRAPH_ROOTS.has(url.hostname.toLowerCase()) ? `${url.origin}/.default` : 'https://graph.microsoft.com/.default';
}

/** The last answer from the authority that was not a success, for messages msal does not keep. */
interface AuthorityFailure {
  url: string;
  status?: number;
  error?: string;
  description?: string;
  /** The Retry-After of a busy answer. */
  retryAfterMs?: number;
}

/** Failure codes of our network client, raised as msal AuthErrors so msal passes them through. */
const TIMEOUT = 'meetsync_request_timeout';
const NO_ANSWER = 'meetsync_no_answer';
const FOREIGN_HOST = 'meetsync_foreign_host';
const BUSY = 'meetsync_authority_busy';

/**
 * The authority answered 429 or 5xx: transient, retried by the adapter's backoff after
 * `retryAfterMs` when the authority said how long to wait.
 */
export class AuthorityBusyError extends CalendarError {
  constructor(
    source: string,
    mailbox: string,
    message: string,
    status: number | undefined,
    readonly retryAfterMs: number | undefined,
  ) {
    super(source, mailbox, message, status);
  }
}

class GuardedNetworkClient implements INetworkModule {
  lastFailure: AuthorityFailure | undefined;
  /** Requests sent to the authority (discovery and token), for tests and logs. */
  requests = 0;

  constructor(
    private readonly allowedOrigin: string,
    private readonly timeoutMs: number,
  ) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private async send<T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    const target = new URL(url);
    const shown = `${target.origin}${target.pathname}`;
    if (target.origin !== this.allowedOrigin) {
      this.lastFailure = { url: shown, error: FOREIGN_HOST };
      throw new AuthError(FOREIGN_HOST, '', `refused to send a request to ${target.origin}: only ${this.allowedOrigin} is configured`);
    }
    this.requests += 1;
    const deadline = new Deadline(this.timeoutMs);
    let status: number;
    let headers: Record<string, string>;
    let text: string;
    try {
      const response = await fetch(url, {
        method,
        headers: options?.headers ?? {},
        ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
        signal: deadline.signal,
        // The secret travels in the body: never re-send it wherever a redirect points.
        redirect: 'manual',
      });
      status = response.status;
      headers = Object.fromEntries(response.headers.entries());
      text = await response.text();
    } catch (err) {
      const timedOut = deadline.passed;
      this.lastFailure = { url: shown, error: timedOut ? TIMEOUT : NO_ANSWER };
      if (timedOut) throw new AuthError(TIMEOUT, '', `${method} ${shown} timed out after ${this.timeoutMs} ms`);
      throw new AuthError(NO_ANSWER, '', `${method} ${shown}: no answer (${scrub((err as Error).message)})`);
    }
    let body: unknown = {};
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      body = {};
    }
    if (status >= 300) {
      const fields = (body && typeof body === 'object' ? body : {}) as { error?: unknown; error_description?: unknown };
      this.lastFailure = {
        url: shown,
        status,
        ...(typeof fields.error === 'string' ? { error: fields.error } : {}),
        ...(typeof fields.error_description === 'string' ? { description: fields.error_description.split('\n')[0] ?? '' } : {}),
      };
      // A busy authority (429, 5xx) is not shown to msal: msal would remember it as a throttle
      // and refuse every token request for the Retry-After it names, or for 60 s when it names
      // none (msal-common network/ThrottlingUtils.ts postProcess, DEFAULT_THROTTLE_TIME_SECONDS),
      // so one transient 503 at a token renewal would fail every mailbox's read for a minute
      // whatever the backoff does. The adapter's backoff is the one place that retries, and it
      // waits the Retry-After the authority sent.
      if (status === 429 || status >= 500) {
        const retryAfterMs = parseRetryAfter(headers['retry-after'], Date.now(), { dates: 'any' });
        if (retryAfterMs !== undefined) this.lastFailure.retryAfterMs = retryAfterMs;
        throw new AuthError(BUSY, '', `${method} ${shown}: HTTP ${status}${this.lastFailure.description ? ` (${this.lastFailure.description})` : ''}`);
      }
    }
    return { status, headers, body: body as T };
  }
}

/** msal renews a cached token this long before it expires (msal-common DEFAULT_TOKEN_RENEWAL_OFFSET_SEC). */
const TOKEN_RENEWAL_OFFSET_MS = 300_000;

export class OutlookCredentials {
  /** Built at once with a secret; with a certificate, on the first token request (the files are read then). */
  private app: ConfidentialClientApplication | undefined;
  private appLoading: Promise<ConfidentialClientApplication> | undefined;
  private readonly microsoft: boolean;
  private readonly host: URL;
  private readonly network: GuardedNetworkClient;
  private readonly scope: string;
  private readonly authority: string;
  private forceRefresh = false;
  /**
   * The token request under way. The engine reads several mailboxes at once, and msal's cache
   * serves a token only once one has arrived: without this, the first reads of a process would
   * each ask the authority (and each fetch its discovery document) for the same token.
   */
  private inFlight: ReturnType<ConfidentialClientApplication['acquireTokenByClientCredential']> | undefined;
  /** The last token issued, until it nears its expiry. */
  private held: { token: string; expiresAt: number } | undefined;

  constructor(
    private readonly auth: OutlookAuthConfig,
    private readonly options: CredentialOptions,
  ) {
    if ((auth.clientSecret === undefined) === (auth.clientCertificate === undefined)) {
      const path = `${options.configPath}.auth`;
      throw new ConfigError(`${path}: give exactly one of clientSecret and clientCertificate`, [{ path, message: 'give exactly one of clientSecret and clientCertificate' }]);
    }
    registerSecret(auth.clientSecret);
    registerSecret(auth.clientCertificate?.privateKey);
    this.host = new URL(options.authorityHost);
    this.authority = `${this.host.origin}/${encodeURIComponent(auth.tenantId)}`;
    this.scope = graphScopeOf(options.graphOrigin);
    this.network = new GuardedNetworkClient(this.host.origin, options.timeoutMs);
    this.microsoft = MICROSOFT_AUTHORITIES.has(this.host.hostname.toLowerCase());
    if (auth.clientSecret !== undefined) this.app = this.build({ clientSecret: auth.clientSecret });
  }

  /**
   * The msal application with the certificate credential: msal signs a client assertion with the
   * key, naming the certificate by its SHA-256 thumbprint (`x5t#S256`, msal-node's
   * `thumbprintSha256`; msal-node 7's Configuration.d.ts marks the SHA-1 `thumbprint` deprecated,
   * "only needed for backwards compatibility with older versions of ADFS"). A file that cannot be read or
   * a key that does not match is a CertificateProblemError, turned into CREDENTIAL BROKEN by
   * translate(); the next token request reads the files again.
   */
  private async certificateApp(certificate: OutlookCertificateConfig): Promise<ConfidentialClientApplication> {
    const loaded = await loadCertificate(certificate, `${this.options.configPath}.auth.clientCertificate`);
    return this.build({ clientCertificate: { thumbprintSha256: loaded.thumbprintSha256, privateKey: loaded.privateKey } });
  }

  private build(credential: { clientSecret: string } | { clientCertificate: { thumbprintSha256: string; privateKey: string } }): ConfidentialClientApplication {
    const { auth, options } = this;
    return new ConfidentialClientApplication({
      auth: {
        clientId: auth.clientId,
        ...credential,
        authority: this.authority,
        ...(this.microsoft ? {} : { knownAuthorities: [this.host.host] }),
      },
      system: {
        networkClient: this.network,
        // msal would retry on its own; the adapter's backoff is the one place that retries.
        disableInternalRetries: true,
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Warning,
          loggerCallback: (_level, message) => options.logger.debug({ msal: scrub(message) }, 'msal'),
        },
      },
    });
  }

  /** The setting that holds the credential, for messages. */
  private get credentialSetting(): string {
    return `${this.options.configPath}.auth.${this.auth.clientCertificate ? 'clientCertificate' : 'clientSecret'}`;
  }

  /** Token requests sent to the authority so far (discovery included). */
  get authorityRequests(): number {
    return this.network.requests;
  }

  /** After a 401 from Graph: the next token comes from the authority, not the cache. */
  expire(): void {
    this.forceRefresh = true;
    this.held = undefined;
  }

  /** An access token for Graph; `mailbox` names the calendar a failure is reported for. */
  async token(mailbox: string): Promise<string> {
    const skipCache = this.forceRefresh;
    // The token msal gave last, while it has more than msal's renewal offset to live: asking msal
    // again for every request costs about 0.3 ms of CPU each (cache look-ups, authority
    // resolution), a fifth of a quiet cycle's work per mailbox.
    if (!skipCache && this.held && this.held.expiresAt - Date.now() > TOKEN_RENEWAL_OFFSET_MS) return this.held.token;
    let result;
    try {
      result = await (skipCache ? this.acquire(true) : (this.inFlight ??= this.acquire(false).finally(() => (this.inFlight = undefined))));
    } catch (err) {
      // Still forced: the retry must not take the cached token Graph has just refused.
      throw this.translate(err, mailbox);
    }
    if (skipCache) this.forceRefresh = false;
    if (!result?.accessToken) throw new CalendarError(this.options.source, mailbox, `the authority ${this.authority} issued no access token`);
    registerSecret(result.accessToken);
    this.held = result.expiresOn ? { token: result.accessToken, expiresAt: result.expiresOn.getTime() } : undefined;
    return result.accessToken;
  }

  private async acquire(skipCache: boolean): ReturnType<ConfidentialClientApplication['acquireTokenByClientCredential']> {
    if (!this.app) {
      const certificate = this.auth.clientCertificate!;
      this.appLoading ??= this.certificateApp(certificate).finally(() => (this.appLoading = undefined));
      this.app = await this.appLoading;
    }
    this.network.lastFailure = undefined;
    return this.app.acquireTokenByClientCredential({ scopes: [this.scope], skipCache });
  }

  /**
   * A failed token request as CalendarAuthError (a person must act; the reason says what to do
   * and never holds the secret) or CalendarError (the authority is down, slow or throttling:
   * retried by the adapter's backoff and by the next cycle).
   */
  private translate(err: unknown, mailbox: string): Error {
    const { source, configPath } = this.options;
    const failure = this.network.lastFailure;
    this.network.lastFailure = undefined;
    if (err instanceof CertificateProblemError) return new CalendarAuthError(source, mailbox, err.message);
    if (!(err instanceof AuthError)) return new CalendarError(source, mailbox, `token request to ${this.authority} failed: ${scrub(String(err))}`);
    const aadsts = /AADSTS(\d+)/.exec(`${err.errorMessage} ${failure?.description ?? ''}`)?.[1] ?? (err instanceof ServerError ? err.errorNo : undefined);
    const code = err.errorCode;
    const status = err instanceof ServerError ? err.status : failure?.status;
    const detail = `${code}${aadsts ? `, AADSTS${aadsts}` : ''}`;
    const authFailure = (reason: string): CalendarAuthError => new CalendarAuthError(source, mailbox, reason);

    if (code === TIMEOUT || failure?.error === TIMEOUT) {
      const cause = new TimeoutError(`token request to ${this.authority} (client credentials for ${mailbox})`, this.options.timeoutMs);
      return new CalendarError(source, mailbox, cause.message, undefined, { cause });
    }
    if (code === BUSY) {
      return new AuthorityBusyError(
        source,
        mailbox,
        `token request to ${this.authority} failed: the authority is busy (${scrub(err.errorMessage)})`,
        status,
        failure?.retryAfterMs,
      );
    }
    if (code === FOREIGN_HOST || failure?.error === FOREIGN_HOST) {
      return authFailure(
        `the authority's discovery document sends token requests to another host than ${configPath}.authorityHost ` +
          `(${err.errorMessage}); nothing was sent there: check ${configPath}.authorityHost`,
      );
    }
    if (aadsts === '7000215' || aadsts === '7000222' || aadsts === '7000216') {
      return authFailure(
        `Microsoft Entra refused the client secret of app ${this.auth.clientId} (${detail}: wrong or expired); ` +
          `create a new client secret for the app registration and set ${configPath}.auth.clientSecret`,
      );
    }
    if (aadsts === '700027' || aadsts === '700021' || aadsts === '700023') {
      // "Client assertion contains an invalid signature": the certificate is not uploaded to the
      // app registration (learn.microsoft.com/azure/developer/java/sdk/troubleshooting-authentication-service-principal).
      const file = this.auth.clientCertificate?.certificatePath;
      return authFailure(
        `Microsoft Entra refused the client certificate of app ${this.auth.clientId} (${detail}: the certificate${file ? ` ${file}` : ''} is not ` +
          `one uploaded to the app registration, or the key does not match it); upload it under Certificates & secrets > Certificates, ` +
          `or set ${configPath}.auth.clientCertificate to the certificate uploaded there`,
      );
    }
    if (aadsts === '700024') {
      return authFailure(
        `Microsoft Entra refused the client assertion of app ${this.auth.clientId} (${detail}: not within its valid time range); check this machine's clock`,
      );
    }
    if (aadsts === '700016') {
      return authFailure(
        `Microsoft Entra does not know app ${this.auth.clientId} in tenant ${this.auth.tenantId} (${detail}); ` +
          `check ${configPath}.auth.clientId and ${configPath}.auth.tenantId, and that an admin of that tenant consented to the app`,
      );
    }
    if (aadsts === '90002' || failure?.error === 'invalid_tenant' || code === 'invalid_tenant') {
      return authFailure(`Microsoft Entra does not know tenant ${this.auth.tenantId} (${detail}); set ${configPath}.auth.tenantId to the directory (tenant) ID`);
    }
    if (code === 'invalid_client' || code === 'unauthorized_client') {
      const renew = this.auth.clientCertificate ? 'upload a new certificate if it expired' : 'create a new client secret if it expired';
      return authFailure(`Microsoft Entra refused the credentials of app ${this.auth.clientId} (${detail}); check ${configPath}.auth.clientId and ${this.credentialSetting} (${renew})`);
    }
    if (code === 'invalid_scope' || code === 'invalid_resource') {
      return authFailure(`Microsoft Entra will not issue a token for ${this.scope} (${detail}); ${accessHint(mailbox, this.auth.clientId)}`);
    }
    // msal replays a throttled answer (429/5xx with Retry-After) from its cache without asking
    // again (msal-common ThrottlingUtils.preProcess): a ServerError with no status of its own.
    const replayedThrottle = err instanceof ServerError && status === undefined && failure === undefined;
    const noAnswer = code === NO_ANSWER || code === 'network_error' || failure?.error === NO_ANSWER;
    if (replayedThrottle || noAnswer || (status !== undefined && (status === 429 || status >= 500))) {
      const where = failure ? ` (${failure.url}${failure.status ? `: HTTP ${failure.status}` : ''})` : '';
      return new CalendarError(source, mailbox, `token request to ${this.authority} failed${where}: ${scrub(err.message)}`, status);
    }
    // Anything else the authority or msal refused (a 4xx, an issuer that does not match) is a
    // configuration a person must fix.
    const said = failure?.description ? `: ${failure.description}` : '';
    const http = status !== undefined ? `, HTTP ${status}` : '';
    return authFailure(
      `the authority ${this.authority} refused the client credentials request (${detail}${http}${said}); ` +
        `check ${configPath}.authorityHost and ${configPath}.auth`,
    );
  }
}
