import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

/**
 * A self-signed client certificate and its private key, made at test time, as an admin makes one
 * for an app registration (Certificates & secrets > Upload certificate): node:crypto makes the
 * key, node-forge (already the simulators' TLS dependency) the certificate.
 */
export interface ClientCertificate {
  certificatePem: string;
  privateKeyPem: string;
  /** base64url SHA-256 of the certificate's DER, as `x5t#S256` carries it. */
  sha256: string;
}

export function makeClientCertificate(commonName = 'meetsync test app'): ClientCertificate {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer([{ name: 'commonName', value: commonName }]);
  cert.sign(key, forge.md.sha256.create());
  const certificatePem = forge.pki.certificateToPem(cert);
  const sha256 = createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('base64url');
  return { certificatePem, privateKeyPem: privateKey, sha256 };
}

/** A client assertion as the identity platform documents it, signed RS256 with `x5t#S256` (certificate-credentials.md). */
export function clientAssertion(cert: ClientCertificate, claims: { clientId: string; audience: string; expiresInSeconds?: number }): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = part({ alg: 'RS256', typ: 'JWT', 'x5t#S256': cert.sha256 });
  const payload = part({ aud: claims.audience, iss: claims.clientId, sub: claims.clientId, jti: randomUUID(), nbf: now, exp: now + (claims.expiresInSeconds ?? 600) });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), cert.privateKeyPem).toString('base64url');
  return `${header}.${payload}.${signature}`;
}
