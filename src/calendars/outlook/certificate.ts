import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { registerSecret } from '../../domain/redact.js';

/**
 * The certificate credential of an app registration: the certificate uploaded to the app
 * (Certificates & secrets > Certificates) and its private key, for tenants that forbid client
 * secrets. msal-node's ConfidentialClientApplication takes `clientCertificate: {thumbprintSha256,
 * privateKey, x5c?}` and signs a client assertion with the key (msal-node ClientAssertion.ts; the
 * assertion is described in learn.microsoft.com/entra/identity-platform/certificate-credentials).
 * The files are read here, checked, and never quoted: a message names a path and what is wrong
 * with it, never the key.
 */

export interface OutlookCertificateConfig {
  /** PEM file of the certificate uploaded to the app registration. */
  certificatePath: string;
  /** PEM file of its private key (unencrypted, PKCS#8 or PKCS#1). */
  privateKeyPath?: string;
  /** The private key's PEM itself, e.g. from `${GRAPH_CERT_KEY}`: instead of privateKeyPath. */
  privateKey?: string;
}

export interface LoadedCertificate {
  /** Hex SHA-256 of the certificate's DER, which msal sends base64url-encoded as `x5t#S256`. */
  thumbprintSha256: string;
  /** The private key as PKCS#8 PEM (registered as a secret). */
  privateKey: string;
  notAfter: Date;
}

/** What a person must fix; the message names paths, never the key. */
export class CertificateProblemError extends Error {}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'this user may not read it',
  EPERM: 'this user may not read it',
  EISDIR: 'it is a folder, not a file',
};

async function readPem(file: string, what: string, setting: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new CertificateProblemError(`cannot read the ${what} ${file} (${FILE_PROBLEMS[code] ?? 'unreadable'}); check ${setting}`);
  }
}

export async function loadCertificate(config: OutlookCertificateConfig, settingPrefix: string, now = new Date()): Promise<LoadedCertificate> {
  const certSetting = `${settingPrefix}.certificatePath`;
  const keySetting = config.privateKeyPath !== undefined ? `${settingPrefix}.privateKeyPath` : `${settingPrefix}.privateKey`;
  const certificatePem = await readPem(config.certificatePath, 'client certificate', certSetting);
  let keyPem: string;
  if (config.privateKeyPath !== undefined) keyPem = await readPem(config.privateKeyPath, 'private key', keySetting);
  else if (config.privateKey !== undefined) keyPem = config.privateKey;
  else throw new CertificateProblemError(`${settingPrefix} needs privateKeyPath or privateKey`);
  registerSecret(keyPem);

  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    throw new CertificateProblemError(`${config.certificatePath} is not a PEM certificate (-----BEGIN CERTIFICATE-----); check ${certSetting}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    const where = config.privateKeyPath ?? keySetting;
    throw new CertificateProblemError(`${where} is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----); check ${keySetting}`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    // msal-node signs the assertion with RS256/PS256 (ClientAssertion.createJwt): an RSA key only.
    throw new CertificateProblemError(`the private key of ${keySetting} is ${key.asymmetricKeyType ?? 'not'} an RSA key; Microsoft Entra app certificates for msal need RSA`);
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new CertificateProblemError(`the private key of ${keySetting} does not belong to the certificate ${config.certificatePath}; give the key the certificate was made with`);
  }
  const notAfter = new Date(certificate.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    throw new CertificateProblemError(
      `the client certificate ${config.certificatePath} expired on ${notAfter.toISOString()}; make a new one, upload it to the app registration and set ${certSetting}`,
    );
  }
  const privateKey = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  registerSecret(privateKey);
  return { thumbprintSha256: createHash('sha256').update(certificate.raw).digest('hex'), privateKey, notAfter };
}
