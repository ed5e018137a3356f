import { createPublicKey, generateKeyPairSync, randomBytes, randomUUID, verify, type KeyObject } from 'node:crypto';
import { GoogleApiError, invalidCredentials, oauthError } from './errors.js';
import type { OAuthClient, ServiceAccountKey } from './types.js';
import { header, type SimRequest, type SimResponse } from '../kit/server.js';

/**
 * Google's OAuth 2.0 token endpoint (https://oauth2.googleapis.com/token) with the two grants
 * meetsync uses, and the bearer-token check every Calendar call goes through.
 * - refresh_token grant: developers.google.com/identity/protocols/oauth2/web-server
 *   ("Refreshing an access token"): form fields client_id, client_secret, refresh_token.
 * - JWT bearer grant (RFC 7523): developers.google.com/identity/protocols/oauth2/service-account
 *   ("Preparing to make an authorized API call"): an RS256 JWT whose iss is the service account,
 *   sub the impersonated user (domain-wide delegation), aud the token URL, scope the scopes.
 */

export type Principal =
  | { kind: 'user'; clientId: string; refreshToken: string; userEmail?: string }
  | { kind: 'serviceAccount'; clientEmail: string; subject?: string };

export interface AccessGrant {
  principal: Principal;
  scopes: string[];
  expiresAt: number;
}

/** What gtoken puts in `aud` (gtoken GOOGLE_TOKEN_URL) and Google's key files in token_uri. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';
const EVENTS_SCOPE = 'https://www.googleapis.com/auth/calendar.events';
/** Google answers expires_in 3599 for a one-hour token. */
const LIFETIME_SECONDS = 3599;

export class GoogleOAuth {
  private readonly clients: OAuthClient[] = [];
  private readonly revoked = new Set<string>();
  private readonly serviceAccounts = new Map<string, { publicKey: KeyObject; keyId: string }>();
  private readonly denied = new Set<string>();
  private readonly tokens = new Map<string, AccessGrant>();

  /** @param tokenUrl the simulator's own token URL, accepted as `aud` besides Google's. */
  constructor(private readonly tokenUrl: () => string) {}

  addClient(client: OAuthClient): void {
    this.clients.push({ ...client });
    this.revoked.delete(client.refreshToken);
  }

  /**
   * A user removing the app's access revokes the refresh token and the access tokens minted from
   * it (developers.google.com/identity/protocols/oauth2 "Refresh token expiration"): the next
   * call gets 401, the refresh after it invalid_grant.
   */
  revokeRefreshToken(refreshToken: string): void {
    this.revoked.add(refreshToken);
    for (const [token, grant] of this.tokens) {
      if (grant.principal.kind === 'user' && grant.principal.refreshToken === refreshToken) this.tokens.delete(token);
    }
  }

  createServiceAccountKey(clientEmail: string): ServiceAccountKey {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const keyId = randomBytes(20).toString('hex');
    this.serviceAccounts.set(clientEmail.toLowerCase(), { publicKey: createPublicKey(publicKey), keyId });
    const project = clientEmail.split('@')[1]?.split('.')[0] ?? 'meetsync-sim';
    const clientId = String(BigInt(`0x${randomBytes(8).toString('hex')}`)).padStart(21, '1');
    return {
      type: 'service_account',
      project_id: project,
      private_key_id: keyId,
      private_key: privateKey,
      client_email: clientEmail,
      client_id: clientId,
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: this.tokenUrl() || GOOGLE_TOKEN_URL,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
      universe_domain: 'googleapis.com',
    };
  }

  denyDelegation(clientEmail: string, subject: string): void {
    this.denied.add(`${clientEmail.toLowerCase()} ${subject.toLowerCase()}`);
  }

  expireAccessTokens(): void {
    this.tokens.clear();
  }

  /** POST /token */
  handleToken(req: SimRequest): SimResponse {
    const form = parseForm(req);
    try {
      const grantType = form.get('grant_type');
      if (grantType === 'refresh_token') return this.refreshGrant(form);
      if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') return this.jwtGrant(form);
      throw oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    } catch (err) {
      if (err instanceof GoogleApiError) return err.toResponse();
      throw err;
    }
  }

  /** The grant behind an `Authorization: Bearer` header, or a 401 in Google's envelope. */
  authenticate(req: SimRequest): AccessGrant {
    const auth = header(req.headers, 'authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(auth);
    const grant = match?.[1] ? this.tokens.get(match[1]) : undefined;
    if (!grant || grant.expiresAt <= Date.now()) throw invalidCredentials();
    return grant;
  }

  private refreshGrant(form: URLSearchParams): SimResponse {
    const clientId = form.get('client_id');
    const client = this.clients.find((c) => c.clientId === clientId);
    // Google answers 401 invalid_client for an unknown client id or a wrong secret.
    if (!client) throw oauthError(401, 'invalid_client', 'The OAuth client was not found.');
    if (client.clientSecret !== form.get('client_secret')) throw oauthError(401, 'invalid_client', 'Unauthorized');
    const refreshToken = form.get('refresh_token');
    const owner = this.clients.find((c) => c.clientId === clientId && c.refreshToken === refreshToken);
    if (!owner || this.revoked.has(owner.refreshToken)) {
      throw oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    }
    return this.issue(
      { kind: 'user', clientId: owner.clientId, refreshToken: owner.refreshToken, userEmail: owner.userEmail },
      [CALENDAR_SCOPE],
    );
  }

  private jwtGrant(form: URLSearchParams): SimResponse {
    const assertion = form.get('assertion') ?? '';
    const [headerB64, payloadB64, signatureB64] = assertion.split('.');
    if (!headerB64 || !payloadB64 || signatureB64 === undefined) {
      throw oauthError(400, 'invalid_grant', 'Invalid JWT: malformed assertion.');
    }
    const jwtHeader = decodeJson(headerB64);
    const claims = decodeJson(payloadB64);
    if (!jwtHeader || !claims) throw oauthError(400, 'invalid_grant', 'Invalid JWT: malformed assertion.');
    if (jwtHeader.alg !== 'RS256') throw oauthError(400, 'invalid_grant', 'Invalid JWT: signing algorithm must be RS256.');
    const iss = typeof claims.iss === 'string' ? claims.iss : '';
    const account = this.serviceAccounts.get(iss.toLowerCase());
    if (!account) throw oauthError(400, 'invalid_grant', 'Invalid grant: account not found');
    const signed = Buffer.from(`${headerB64}.${payloadB64}`);
    if (!verify('RSA-SHA256', signed, account.publicKey, Buffer.from(signatureB64, 'base64url'))) {
      throw oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    const aud = claims.aud;
    if (aud !== GOOGLE_TOKEN_URL && aud !== this.tokenUrl()) {
      throw oauthError(400, 'invalid_grant', `Invalid JWT: Failed audience check. The expected value was ${GOOGLE_TOKEN_URL}.`);
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = typeof claims.exp === 'number' ? claims.exp : 0;
    const iat = typeof claims.iat === 'number' ? claims.iat : 0;
    // service-account guide: "exp ... a maximum of 1 hour after the issued time".
    if (exp <= now || exp - iat > 3600 || iat > now + 300) {
      throw oauthError(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(/\s+/).filter(Boolean) : [];
    const subject = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined;
    const isDenied = subject !== undefined && this.denied.has(`${iss.toLowerCase()} ${subject.toLowerCase()}`);
    if (isDenied || !scopes.some((s) => s === CALENDAR_SCOPE || s === EVENTS_SCOPE)) {
      // What Google answers when the admin console has not authorized the client for the subject
      // and scopes (domain-wide delegation).
      throw oauthError(
        401,
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      );
    }
    return this.issue({ kind: 'serviceAccount', clientEmail: iss, subject }, scopes);
  }

  private issue(principal: Principal, scopes: string[]): SimResponse {
    const token = `ya29.sim-${randomUUID()}${randomBytes(12).toString('base64url')}`;
    this.tokens.set(token, { principal, scopes, expiresAt: Date.now() + LIFETIME_SECONDS * 1000 });
    return {
      status: 200,
      headers: { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' },
      body: { access_token: token, expires_in: LIFETIME_SECONDS, scope: scopes.join(' '), token_type: 'Bearer' },
    };
  }
}

/** Whether `grant` may read and write `calendarId` (ids compare case-insensitively, as emails). */
export function canAccess(grant: AccessGrant, calendarId: string): boolean {
  if (grant.principal.kind === 'user') return true;
  // With domain-wide delegation the service account acts as `sub` and sees that user's
  // calendars; without `sub` it is its own (empty) user.
  const actingAs = grant.principal.subject ?? grant.principal.clientEmail;
  return actingAs.toLowerCase() === calendarId.toLowerCase();
}

/** The account "primary" names for this grant (events.list docs: the logged-in user). */
export function primaryCalendarOf(grant: AccessGrant): string | undefined {
  if (grant.principal.kind === 'user') return grant.principal.userEmail;
  return grant.principal.subject ?? grant.principal.clientEmail;
}

function parseForm(req: SimRequest): URLSearchParams {
  const type = header(req.headers, 'content-type') ?? '';
  if (type.includes('application/json')) {
    const data = req.json();
    const form = new URLSearchParams();
    if (data && typeof data === 'object') {
      for (const [k, v] of Object.entries(data as Record<string, unknown>)) form.set(k, String(v));
    }
    return form;
  }
  return new URLSearchParams(req.body);
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
