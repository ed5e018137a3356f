import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

/**
 * A private certificate authority and a loopback server certificate signed by it, so the
 * simulators can serve https. The Microsoft identity libraries insist on an https authority,
 * and the Graph client only sends its Authorization header to https hosts
 * (../shared/notes/PROVIDERS.md, "Simulator caveat"). Clients trust the CA through
 * NODE_EXTRA_CA_CERTS, which Node reads at process start.
 */
export interface TlsMaterial {
  /** PEM of the CA certificate: the file to point NODE_EXTRA_CA_CERTS at. */
  caCertPem: string;
  caCertPath?: string;
  /** PEM key and certificate for the servers (valid for localhost, 127.0.0.1 and ::1). */
  keyPem: string;
  certPem: string;
}

function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function serial(): string {
  // A positive serial: clear the top bit so DER does not read it as negative.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

/** Generates a fresh CA and a server certificate, valid for two years. */
export function generateTls(): TlsMaterial {
  const now = new Date();
  const later = new Date(now.getTime() + 2 * 365 * 24 * 3600 * 1000);
  const earlier = new Date(now.getTime() - 24 * 3600 * 1000);

  const caKeys = newKeyPair();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serial();
  ca.validity.notBefore = earlier;
  ca.validity.notAfter = later;
  const caName = [{ name: 'commonName', value: 'meetsync simulators local CA' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = serverKeys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = earlier;
  cert.validity.notAfter = later;
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer(caName);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
  ]);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    caCertPem: forge.pki.certificateToPem(ca),
    keyPem: forge.pki.privateKeyToPem(serverKeys.privateKey),
    certPem: forge.pki.certificateToPem(cert),
  };
}

/**
 * Reads the CA and server certificate from `dir`, creating them on first use, so every process
 * started with NODE_EXTRA_CA_CERTS=<dir>/ca.pem trusts every simulator started from `dir`.
 */
export function loadOrCreateTls(dir: string): TlsMaterial & { caCertPath: string } {
  const caCertPath = path.join(dir, 'ca.pem');
  const keyPath = path.join(dir, 'server-key.pem');
  const certPath = path.join(dir, 'server-cert.pem');
  if (!(existsSync(caCertPath) && existsSync(keyPath) && existsSync(certPath))) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fresh = generateTls();
    writeFileSync(keyPath, fresh.keyPem, { mode: 0o600 });
    writeFileSync(certPath, fresh.certPem);
    writeFileSync(caCertPath, fresh.caCertPem);
  }
  return {
    caCertPath,
    caCertPem: readFileSync(caCertPath, 'utf8'),
    keyPem: readFileSync(keyPath, 'utf8'),
    certPem: readFileSync(certPath, 'utf8'),
  };
}
