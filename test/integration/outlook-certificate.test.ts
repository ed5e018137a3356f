import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutlookSource, type OutlookAuthConfig } from '../../src/calendars/outlook/source.js';
import { CalendarAuthError, ConfigError } from '../../src/domain/errors.js';
import { GraphSimulator } from '../../src/simulators/graph/server.js';
import { loadOrCreateTls } from '../../src/simulators/kit/tls.js';
import { makeClientCertificate, type ClientCertificate } from '../support/client-certificate.js';

/**
 * The certificate credential end to end: the real @azure/msal-node signs the client assertion
 * with the configured key, the Graph simulator's identity endpoint verifies it against the
 * certificate uploaded to the app registration, and the token reads a mailbox through the real
 * Graph client. Certificates are made at test time (test/support/client-certificate.ts).
 */

const MAILBOX = 'alice@contoso.test';
const APP = { tenantId: '6f1b2c3d-0000-4a5b-8c9d-0123456789ab', clientId: 'c3d4e5f6-2222-4a1b-8c2d-fedcbafedcba' };
const W = { from: new Date('2030-01-01T00:00:00Z'), to: new Date('2030-02-01T00:00:00Z') };

let dir: string;
let sim: GraphSimulator;
let uploaded: ClientCertificate;

/** Writes a certificate and its key as an admin would store them; returns their paths. */
function files(cert: ClientCertificate, name: string, key: string = cert.privateKeyPem): { certificatePath: string; privateKeyPath: string } {
  const certificatePath = path.join(dir, `${name}.crt`);
  const privateKeyPath = path.join(dir, `${name}.key`);
  writeFileSync(certificatePath, cert.certificatePem);
  writeFileSync(privateKeyPath, key, { mode: 0o600 });
  return { certificatePath, privateKeyPath };
}

function source(auth: Partial<OutlookAuthConfig>): OutlookSource {
  return new OutlookSource({
    name: 'corp-m365',
    mailboxes: [MAILBOX],
    auth: { ...APP, ...auth },
    graphBaseUrl: sim.url,
    authorityHost: sim.url,
    configPath: 'sources[0]',
    retry: { maxAttempts: 2, baseDelayMs: 2, maxDelayMs: 10 },
  });
}

const tokenPosts = () => sim.server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/oauth2/v2.0/token'));
const graphCalls = () => sim.server.requests.filter((r) => r.path.startsWith('/v1.0/'));

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'meetsync-cert-'));
  uploaded = makeClientCertificate();
  sim = new GraphSimulator({ tls: loadOrCreateTls(process.env.MEETSYNC_TEST_TLS_DIR!), clients: [{ ...APP, certificates: [uploaded.certificatePem] }], mailboxes: [MAILBOX] });
  await sim.start();
  sim.userInsert(MAILBOX, { subject: 'Kick-off', start: { dateTime: '2030-01-07T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2030-01-07T10:00:00', timeZone: 'UTC' } });
});

afterEach(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Outlook certificate credential', () => {
  it('gets a token with the certificate through msal-node (a signed client assertion, no secret) and reads the mailbox', async () => {
    const read = await source({ clientCertificate: files(uploaded, 'app') }).readChanges(MAILBOX, null, W);

    expect(read.events.map((e) => e.title)).toEqual(['Kick-off']);
    const [post] = tokenPosts();
    const form = new URLSearchParams(post!.body);
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(form.get('client_secret')).toBeNull();
    const header = JSON.parse(Buffer.from(form.get('client_assertion')!.split('.')[0]!, 'base64url').toString()) as Record<string, string>;
    expect(header['x5t#S256']).toBe(uploaded.sha256);
    expect(post!.body).not.toContain('PRIVATE KEY');
  });

  it('takes the private key as PEM text instead of a file (e.g. from ${VAR})', async () => {
    const { certificatePath } = files(uploaded, 'app');
    const read = await source({ clientCertificate: { certificatePath, privateKey: uploaded.privateKeyPem } }).readChanges(MAILBOX, null, W);
    expect(read.events).toHaveLength(1);
  });

  it('reports a certificate not uploaded to the app as CalendarAuthError naming the setting, never the key, with nothing sent to Graph', async () => {
    const other = makeClientCertificate('not uploaded');
    const error = await source({ clientCertificate: files(other, 'other') }).readChanges(MAILBOX, null, W).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CalendarAuthError);
    const message = (error as Error).message;
    expect(message).toMatch(/refused the client certificate of app c3d4e5f6-2222-4a1b-8c2d-fedcbafedcba \(invalid_client, AADSTS700027/);
    expect(message).toContain('other.crt');
    expect(message).toContain('sources[0].auth.clientCertificate');
    expect(message).not.toMatch(/PRIVATE KEY|MII/);
    expect(tokenPosts()).toHaveLength(1);
    expect(graphCalls()).toHaveLength(0);
  });

  it('refuses a key that does not belong to the certificate, and an unreadable file, before asking the authority', async () => {
    const other = makeClientCertificate('someone else');
    const mismatched = await source({ clientCertificate: files(uploaded, 'mixed', other.privateKeyPem) }).readChanges(MAILBOX, null, W).catch((e: unknown) => e);
    expect(mismatched).toBeInstanceOf(CalendarAuthError);
    expect((mismatched as Error).message).toMatch(/private key of sources\[0\]\.auth\.clientCertificate\.privateKeyPath does not belong to the certificate .*mixed\.crt/);
    expect((mismatched as Error).message).not.toContain(other.privateKeyPem.split('\n')[1]!);

    const missing = await source({ clientCertificate: { certificatePath: path.join(dir, 'nope.crt'), privateKeyPath: path.join(dir, 'nope.key') } })
      .readChanges(MAILBOX, null, W)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(CalendarAuthError);
    expect((missing as Error).message).toMatch(/cannot read the client certificate .*nope\.crt \(no such file\); check sources\[0\]\.auth\.clientCertificate\.certificatePath/);
    expect(tokenPosts()).toHaveLength(0);
  });

  it('needs exactly one of clientSecret and clientCertificate', () => {
    expect(() => source({})).toThrow(ConfigError);
    expect(() => source({ clientSecret: 'some~secret~value', clientCertificate: { certificatePath: 'a.crt', privateKeyPath: 'a.key' } })).toThrow(
      /sources\[0\]\.auth: give exactly one of clientSecret and clientCertificate/,
    );
  });
});
