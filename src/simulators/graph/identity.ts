import { randomBytes } from 'node:crypto';
import { checkAssertion, JWT_BEARER, registerCertificate } from './assertion.js';
import { identityError, invalidAuthenticationToken } from './errors.js';
import type { GraphClient } from './types.js';
import { header, type SimRequest, type SimResponse } from '../kit/server.js';

/**
 * The Microsoft identity platform endpoints an app-only Graph client needs, from "Microsoft
 * identity platform and the OAuth 2.0 client credentials flow" (v2.0 token endpoint, form fields
 * client_id, client_secret, scope=<resource>/.default, grant_type=client_credentials, the
 * token_type/expires_in/ext_expires_in/access_token answer and the AADSTS error bodies) and from
 * what MSAL asks before it (msal-common src/authority/Authority.ts at AzureAD/microsoft-
 * authentication-library-for-js 980f0b0): `{authority}v2.0/.well-known/openid-configuration`
 * (it needs authorization_endpoint, token_endpoint, issuer, jwks_uri, and reads the tenant id as
 * the first path segment of authorization_endpoint) and, unless the host is in knownAuthorities,
 * `https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=…`
 * (tenant_discovery_endpoint + metadata). MSAL sends the latter to Microsoft's host whatever the
 * authority, so clients of a simulator must list it in knownAuthorities; the simulator serves
 * the document anyway for clients that ask it.
 * The client authenticates with its secret (client_secret, or HTTP Basic) or with a certificate
 * registered on the app: a signed client assertion (graph/assertion.ts).
 * Access tokens are opaque random strings remembered with their expiry.
 */

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;
const OPENID_PATH = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/;
const KEYS_PATH = /^\/([^/]+)\/discovery\/v2\.0\/keys$/;

interface RegisteredClient {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  certificates: Array<ReturnType<typeof registerCertificate>>;
  roles: string[];
}

export interface AppGrant {
  tenantId: string;
  clientId: string;
  roles: string[];
  expiresAt: number;
}

export class GraphIdentity {
  private readonly clients: RegisteredClient[] = [];
  private readonly tenantAliases = new Map<string, string>();
  private readonly expiredSecrets = new Set<string>();
  private readonly tokens = new Map<string, AppGrant>();

  constructor(
    private readonly baseUrl: () => string,
    private readonly lifetimeSeconds: number,
  ) {}

  addClient(client: GraphClient): void {
    this.clients.push({
      tenantId: client.tenantId,
      clientId: client.clientId,
      ...(client.clientSecret !== undefined ? { clientSecret: client.clientSecret } : {}),
      certificates: (client.certificates ?? []).map(registerCertificate),
      roles: client.roles ?? ['Calendars.ReadWrite'],
    });
    this.tenantAliases.set(client.tenantId.toLowerCase(), client.tenantId);
  }

  /** A domain (e.g. contoso.onmicrosoft.com) that names a tenant in authorities. */
  addTenantDomain(domain: string, tenantId: string): void {
    this.tenantAliases.set(domain.toLowerCase(), tenantId);
  }

  /** The client's secret answers AADSTS7000222 (expired) from now on. */
  expireClientSecret(clientId: string): void {
    this.expiredSecrets.add(clientId);
  }

  /** Outstanding access tokens answer 401 on their next use (what expiry or revocation does). */
  expireAccessTokens(): void {
    for (const grant of this.tokens.values()) grant.expiresAt = 0;
  }

  /** Answers identity requests; undefined when `req` is not one. */
  handle(req: SimRequest): SimResponse | undefined {
    const token = TOKEN_PATH.exec(req.path);
    if (token && req.method === 'POST') return this.token(decodeURIComponent(token[1]!), req);
    const openid = OPENID_PATH.exec(req.path);
    if (openid && req.method === 'GET') return this.openIdConfiguration(decodeURIComponent(openid[1]!));
    if (KEYS_PATH.test(req.path) && req.method === 'GET') return { status: 200, body: { keys: [] } };
    if (req.path === '/common/discovery/instance' && req.method === 'GET') return this.instanceDiscovery(req.query);
    return undefined;
  }

  /** The grant behind `Authorization: Bearer`, or Graph's 401. */
  authenticate(req: SimRequest): AppGrant {
    const auth = header(req.headers, 'authorization');
    if (!auth) throw invalidAuthenticationToken('Access token is empty.');
    const match = /^Bearer\s+(\S+)$/i.exec(auth);
    const grant = match?.[1] ? this.tokens.get(match[1]) : undefined;
    if (!grant) throw invalidAuthenticationToken('Access token validation failure. Invalid audience.');
    if (grant.expiresAt <= Date.now()) throw invalidAuthenticationToken('Lifetime validation failed, the token is expired.');
    return grant;
  }

  private tenant(name: string): string | undefined {
    return this.tenantAliases.get(name.toLowerCase());
  }

  private tenantNotFound(status: number, error: string, name: string): SimResponse {
    return identityError(
      status,
      error,
      90002,
      `Tenant '${name}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
  }

  private token(tenantName: string, req: SimRequest): SimResponse {
    const tenantId = this.tenant(tenantName);
    if (!tenantId) return this.tenantNotFound(400, 'invalid_request', tenantName);
    const form = new URLSearchParams(req.body);
    const basic = basicCredentials(header(req.headers, 'authorization'));
    const missing = (name: string) =>
      identityError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);
    const grantType = form.get('grant_type');
    if (!grantType) return missing('grant_type');
    if (grantType !== 'client_credentials') {
      return identityError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
    }
    const clientId = form.get('client_id') ?? basic?.clientId;
    if (!clientId) return missing('client_id');
    const client = this.clients.find((c) => c.tenantId === tenantId && c.clientId === clientId);
    if (!client) {
      return identityError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    const assertion = form.get('client_assertion');
    const assertionType = form.get('client_assertion_type');
    const secret = form.get('client_secret') ?? basic?.clientSecret;
    if (assertion !== null || assertionType !== null) {
      const refused = this.checkAssertion(client, tenantId, tenantName, assertion, assertionType);
      if (refused) return refused;
    } else if (!secret) {
      return identityError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    } else if (secret !== client.clientSecret) {
      return identityError(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    if (secret && this.expiredSecrets.has(clientId)) {
      return identityError(401, 'invalid_client', 7000222, `The provided client secret keys for app '${clientId}' are expired.`);
    }
    const scope = form.get('scope');
    if (!scope) return missing('scope');
    const scopes = scope.split(/\s+/).filter(Boolean);
    if (scopes.length !== 1 || !scopes[0]!.endsWith('/.default')) {
      return identityError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    if (scopes[0] !== GRAPH_SCOPE && scopes[0] !== 'https://graph.microsoft.com//.default') {
      const resource = scopes[0]!.slice(0, -'/.default'.length);
      return identityError(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenantName}.`);
    }
    const accessToken = `sim.${randomBytes(32).toString('base64url')}`;
    this.tokens.set(accessToken, {
      tenantId,
      clientId,
      roles: client.roles,
      expiresAt: Date.now() + this.lifetimeSeconds * 1000,
    });
    return {
      status: 200,
      headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
      body: { token_type: 'Bearer', expires_in: this.lifetimeSeconds, ext_expires_in: this.lifetimeSeconds, access_token: accessToken },
    };
  }

  /** The certificate credential's client assertion (graph/assertion.ts); undefined when it is accepted. */
  private checkAssertion(client: RegisteredClient, tenantId: string, tenantName: string, assertion: string | null, type: string | null): SimResponse | undefined {
    if (type !== JWT_BEARER) {
      return identityError(400, 'invalid_request', 90014, `The request body must contain the following parameter: 'client_assertion_type' with the value '${JWT_BEARER}'.`);
    }
    if (!assertion) return identityError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_assertion'.");
    const audiences = [...new Set([tenantId, tenantName])].map((t) => `${this.baseUrl()}/${t}/oauth2/v2.0/token`);
    const check = checkAssertion(assertion, { clientId: client.clientId, audiences, certificates: client.certificates, nowSeconds: Math.floor(Date.now() / 1000) });
    return check.ok ? undefined : identityError(401, 'invalid_client', check.code, check.description);
  }

  private openIdConfiguration(tenantName: string): SimResponse {
    const tenantId = this.tenant(tenantName);
    if (!tenantId) return this.tenantNotFound(400, 'invalid_tenant', tenantName);
    const root = `${this.baseUrl()}/${tenantId}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${root}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${root}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${root}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.baseUrl()}/oidc/userinfo`,
        authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${root}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${root}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver'],
        kerberos_endpoint: `${root}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
    };
  }

  private instanceDiscovery(query: URLSearchParams): SimResponse {
    const host = new URL(this.baseUrl()).host;
    const endpoint = query.get('authorization_endpoint') ?? '';
    let tenant = 'common';
    try {
      const url = new URL(endpoint);
      if (url.host !== host) throw new Error('foreign host');
      tenant = url.pathname.split('/').filter(Boolean)[0] ?? 'common';
    } catch {
      return identityError(400, 'invalid_instance', 50049, 'Unknown or invalid instance.');
    }
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${this.baseUrl()}/${tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      },
    };
  }
}

/** client_secret_basic: the token endpoint also accepts the credentials in HTTP Basic auth. */
function basicCredentials(auth: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = auth ? /^Basic\s+(\S+)$/i.exec(auth) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { clientId: decodeURIComponent(decoded.slice(0, colon)), clientSecret: decodeURIComponent(decoded.slice(colon + 1)) };
}
