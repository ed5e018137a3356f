import { constants, createHash, verify, X509Certificate } from 'node:crypto';

/**
 * The client assertion of the certificate credential, as the Microsoft identity platform checks
 * it ("Microsoft identity platform application authentication certificate credentials",
 * learn.microsoft.com/entra/identity-platform/certificate-credentials): a JWT sent as
 * `client_assertion` with `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`;
 * header `alg` RS256 or PS256 and the certificate's thumbprint as `x5t` (SHA-1) or `x5t#S256`
 * (SHA-256), base64url; claims `aud` (the token endpoint), `iss` and `sub` (the client id),
 * `exp`, `nbf`, `jti`. msal-node builds it so (ClientAssertion.createJwt in msal-node 7:
 * PS256 with x5t#S256 when given thumbprintSha256, else RS256 with x5t). The failures answer
 * the codes Microsoft lists for certificate and assertion credentials
 * (learn.microsoft.com/azure/developer/java/sdk/troubleshooting-authentication-service-principal):
 * AADSTS700027 for a signature that no registered certificate verifies, AADSTS700021 for an
 * iss/sub that is not the client id, AADSTS700023 for an audience that is not this token
 * endpoint; AADSTS700024 for a time outside nbf..exp.
 */

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export type AssertionCheck =
  | { ok: true }
  | { ok: false; code: number; description: string };

interface Registered {
  certificate: X509Certificate;
  sha1: string;
  sha256: string;
}

/** A PEM certificate as the app registration holds it, with its thumbprints (base64url of the DER digest). */
export function registerCertificate(pem: string): Registered {
  const certificate = new X509Certificate(pem);
  return {
    certificate,
    sha1: createHash('sha1').update(certificate.raw).digest('base64url'),
    sha256: createHash('sha256').update(certificate.raw).digest('base64url'),
  };
}

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  if (!part) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function checkAssertion(
  jwt: string,
  expected: { clientId: string; audiences: string[]; certificates: Registered[]; nowSeconds: number },
): AssertionCheck {
  const parts = jwt.split('.');
  const header = decodePart(parts[0]);
  const claims = decodePart(parts[1]);
  if (parts.length !== 3 || !header || !claims) {
    return { ok: false, code: 50027, description: 'JWT token is invalid or malformed.' };
  }
  const sha256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
  const sha1 = typeof header.x5t === 'string' ? header.x5t : undefined;
  const used = sha256 ?? sha1 ?? '(none)';
  const registered = expected.certificates.find((c) => (sha256 !== undefined ? c.sha256 === sha256 : c.sha1 === sha1));
  const keyNotFound: AssertionCheck = {
    ok: false,
    code: 700027,
    description:
      `Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${used}', ` +
      `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${expected.clientId}'.]`,
  };
  if (!registered) return keyNotFound;
  const alg = header.alg;
  if (alg !== 'RS256' && alg !== 'PS256') {
    return { ok: false, code: 5002730, description: `Invalid JWT token. Unsupported key for the signing algorithm '${String(alg)}'.` };
  }
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2]!, 'base64url');
  const key = registered.certificate.publicKey;
  const good =
    alg === 'RS256'
      ? verify('sha256', signed, key, signature)
      : verify('sha256', signed, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
  if (!good) {
    return { ok: false, code: 700027, description: 'Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]' };
  }
  if (claims.iss !== expected.clientId || claims.sub !== expected.clientId) {
    return { ok: false, code: 700021, description: "Client assertion application identifier doesn't match 'client_id' parameter." };
  }
  if (typeof claims.aud !== 'string' || !expected.audiences.includes(claims.aud)) {
    return { ok: false, code: 700023, description: `Client assertion audience claim does not match Realm issuer. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials.` };
  }
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : undefined;
  // Entra allows a few minutes of clock skew; the simulator allows five.
  if (exp === undefined || exp + 300 < expected.nowSeconds || (nbf !== undefined && nbf - 300 > expected.nowSeconds)) {
    return { ok: false, code: 700024, description: 'Client assertion is not within its valid time range.' };
  }
  return { ok: true };
}
