import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configNamed, loadConfig, parseConfig } from '../../src/config/load.js';
import { resolvePaidUntil } from '../../src/config/paid-until.js';
import { ConfigError } from '../../src/domain/errors.js';
import { fileProblem } from '../../src/domain/file-problem.js';
import { MINIMAL_CONFIG } from '../support/config-text.js';

const minimal = MINIMAL_CONFIG;

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('fills defaults, interpolates ${VAR} and resolves paths against the file', () => {
    const cfg = parseConfig(minimal, { WEBMEETING_API_KEY: 'k-123456' }, '/etc/meetsync');
    expect(cfg.webMeeting.apiKey).toBe('k-123456');
    expect(cfg.database).toBe('/etc/meetsync/data/meetsync.db');
    expect(cfg.schedule).toBe('*/5 * * * *');
    expect(cfg.window).toEqual({ pastDays: 1, futureDays: 180 });
    expect(cfg.webMeeting.onEventCancelled).toBe('delete');
    expect(cfg.tagging.keywords).toEqual(['#webmeeting']);
    const src = cfg.sources[0]!;
    expect(src.kind === 'google' && src.auth.type === 'serviceAccount' && src.auth.keyFile).toBe('/etc/meetsync/secrets/google-sa.json');
  });

  it('reports every problem at once with its key path', () => {
    const text = `
schedule: "every five minutes"
webMeeting:
  baseUrl: not-a-url
  apiKey: \${MISSING_KEY}
  onEventCancelled: drop
sources:
  - name: a
    kind: google
    calendars: [x@example.com]
    auth: { type: oauth, clientId: c }
  - name: b
    kind: outlook
    mailboxes: [carol@example.com]
    auth: { clientId: c, clientSecret: s }
    graphBaseUrll: https://graph.microsoft.com/
`;
    const issues = issuesOf(() => parseConfig(text, {}, '/tmp'));
    expect(issues).toEqual(
      expect.arrayContaining([
        'webMeeting.apiKey: environment variable MISSING_KEY is not set (export it, or write the value in the file)',
        'schedule: must be a cron expression such as "*/5 * * * *"',
        'webMeeting.baseUrl: must be a URL such as https://example.com',
        'webMeeting.onEventCancelled: must be one of: delete, keep',
        'sources[0].auth.clientSecret: required',
        'sources[0].auth.refreshToken: required',
        'sources[1].auth.tenantId: required',
        'sources[1].graphBaseUrll: unknown key (check its spelling against config.example.yaml)',
      ]),
    );
  });

  it('reports an unset ${VAR} once, at its key, not again as an empty required value', () => {
    const text = minimal.replace(/apiKey: .*/, 'apiKey: ${MISSING_KEY}');
    expect(text).toContain('${MISSING_KEY}');
    const issues = issuesOf(() => parseConfig(text, {}, '/tmp'));
    expect(issues).toEqual(['webMeeting.apiKey: environment variable MISSING_KEY is not set (export it, or write the value in the file)']);
    expect(() => parseConfig(text, {}, '/tmp', 'x.yaml')).toThrow('x.yaml has 1 problem');
  });

  it('says in words why a config file cannot be read, never an errno', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-cfg-'));
    expect(() => loadConfig(dir, {}, dir)).toThrow(`cannot read ${dir}: it is a folder, not a file`);
    expect(fileProblem(Object.assign(new Error("EACCES: permission denied, open '/x/y'"), { code: 'EACCES' }))).toBe('permission denied (run meetsync as a user that can read it)');
    expect(fileProblem(Object.assign(new Error("ENOTDIR: not a directory, open '/x/y'"), { code: 'ENOTDIR' }))).toBe('a part of its path is a file, not a folder');
    expect(fileProblem(Object.assign(new Error("EWHAT: something odd, open '/x/y'"), { code: 'EWHAT' }))).toBe('something odd');
  });

  it('names the line of a YAML syntax error', () => {
    expect(() => parseConfig('webMeeting: [unclosed', {}, '/tmp', 'x.yaml')).toThrow(/x\.yaml line 1: not valid YAML/);
  });

  it('says how to fix a missing file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-cfg-'));
    expect(() => loadConfig(undefined, {}, dir)).toThrow(/meetsync\.yaml not found; copy config\.example\.yaml/);
  });

  it('takes --config first, then MEETSYNC_CONFIG', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-cfg-'));
    writeFileSync(path.join(dir, 'a.yaml'), minimal);
    writeFileSync(path.join(dir, 'b.yaml'), minimal.replace('meeting.example.com', 'b.example.com'));
    const env = { MEETSYNC_CONFIG: 'b.yaml', WEBMEETING_API_KEY: 'k-123456' };
    expect(loadConfig(undefined, env, dir).config.webMeeting.baseUrl).toBe('https://b.example.com');
    expect(loadConfig('a.yaml', env, dir).config.webMeeting.baseUrl).toBe('https://meeting.example.com');
  });

  it('reads ./meetsync.yaml when MEETSYNC_CONFIG is empty; a config counts as named only when asked for or present', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-cfg-'));
    const env = { MEETSYNC_CONFIG: '', WEBMEETING_API_KEY: 'k-123456' };
    expect(configNamed(undefined, env, dir)).toBe(false);
    expect(configNamed('a.yaml', env, dir)).toBe(true);
    expect(configNamed(undefined, { MEETSYNC_CONFIG: 'b.yaml' }, dir)).toBe(true);
    writeFileSync(path.join(dir, 'meetsync.yaml'), minimal);
    expect(configNamed(undefined, env, dir)).toBe(true);
    expect(loadConfig(undefined, env, dir).file).toBe(path.join(dir, 'meetsync.yaml'));
  });

  it('accepts config.example.yaml as shipped', () => {
    const here = path.dirname(new URL(import.meta.url).pathname);
    const env = { WEBMEETING_API_KEY: 'k-123456', GRAPH_CLIENT_SECRET: 'secret-xyz' };
    const { config } = loadConfig(path.join(here, '../../config.example.yaml'), env, process.cwd());
    expect(config.sources.map((s) => s.kind)).toEqual(['google', 'outlook']);
  });

  it("takes a Google source's sendUpdates, externalOnly by default, and refuses any other value in one line", () => {
    const google = (cfg: ReturnType<typeof parseConfig>) => cfg.sources[0]!;
    const defaulted = google(parseConfig(minimal, { WEBMEETING_API_KEY: 'k-123456' }, '/tmp'));
    expect(defaulted.kind === 'google' && defaulted.sendUpdates).toBe('externalOnly');
    const withNone = minimal.replace('    auth: { type: serviceAccount', '    sendUpdates: none\n    auth: { type: serviceAccount');
    const none = google(parseConfig(withNone, { WEBMEETING_API_KEY: 'k-123456' }, '/tmp'));
    expect(none.kind === 'google' && none.sendUpdates).toBe('none');
    const wrong = minimal.replace('    auth: { type: serviceAccount', '    sendUpdates: everyone\n    auth: { type: serviceAccount');
    expect(issuesOf(() => parseConfig(wrong, { WEBMEETING_API_KEY: 'k-123456' }, '/tmp'))).toEqual([
      'sources[0].sendUpdates: must be one of: all, externalOnly, none',
    ]);
  });

  it('never repeats a secret in an error', () => {
    const text = minimal.replace('accountIds: [5e9459c5b863b82cefdddf4f]', 'accountIds: [super-secret-key-value]');
    const issues = issuesOf(() => parseConfig(text, { WEBMEETING_API_KEY: 'super-secret-key-value' }, '/tmp'));
    expect(issues.join('\n')).not.toContain('super-secret-key-value');
  });
});

describe('config: endpoints that receive secrets', () => {
  const withUrls = (urls: { baseUrl?: string; rootUrl?: string; tokenUrl?: string; graphBaseUrl?: string; authorityHost?: string }) => `
webMeeting:
  baseUrl: ${urls.baseUrl ?? 'https://meeting.example.com'}
  apiKey: k-123456
sources:
  - name: g
    kind: google
    calendars: [alice@example.com]
    auth: { type: serviceAccount, keyFile: ./sa.json }
    rootUrl: ${urls.rootUrl ?? 'https://www.googleapis.com/'}
    tokenUrl: ${urls.tokenUrl ?? 'https://oauth2.googleapis.com/token'}
  - name: o
    kind: outlook
    mailboxes: [carol@example.com]
    auth: { tenantId: t, clientId: c, clientSecret: s }
    graphBaseUrl: ${urls.graphBaseUrl ?? 'https://graph.microsoft.com/'}
    authorityHost: ${urls.authorityHost ?? 'https://login.microsoftonline.com'}
`;

  it('refuses http:// for the platform, Google and Microsoft endpoints, naming the key', () => {
    const issues = issuesOf(() =>
      parseConfig(
        withUrls({
          baseUrl: 'http://meeting.example.com',
          rootUrl: 'http://www.googleapis.com/',
          tokenUrl: 'http://oauth2.googleapis.com/token',
          graphBaseUrl: 'http://graph.microsoft.com/',
          authorityHost: 'http://127.0.0.1.nip.io',
        }),
        {},
        '/tmp',
      ),
    );
    expect(issues.map((i) => i.split(':')[0]).sort()).toEqual([
      'sources[0].rootUrl',
      'sources[0].tokenUrl',
      'sources[1].authorityHost',
      'sources[1].graphBaseUrl',
      'webMeeting.baseUrl',
    ]);
    expect(issues).toContain(
      'webMeeting.baseUrl: must start with https://: over http:// the full-control API key would cross the network in clear (http:// is accepted only for 127.0.0.0/8, ::1 or localhost)',
    );
    expect(issues.find((i) => i.startsWith('sources[0].tokenUrl'))).toContain('the client secret and refresh token');
  });

  it.each(['http://127.0.0.1:8080', 'http://127.45.0.9/', 'http://[::1]:9000/', 'http://localhost:3000', 'https://meeting.example.com'])(
    'accepts %s (https, or http on loopback)',
    (url) => {
      const cfg = parseConfig(withUrls({ baseUrl: url, rootUrl: url, tokenUrl: url, graphBaseUrl: url, authorityHost: url }), {}, '/tmp');
      expect(cfg.webMeeting.baseUrl).toBe(url);
    },
  );

  it.each(['http://localhost.evil.example/', 'http://128.0.0.1/', 'http://0.0.0.0/', 'ftp://meeting.example.com/'])('refuses %s', (url) => {
    const issues = issuesOf(() => parseConfig(withUrls({ baseUrl: url }), {}, '/tmp'));
    expect(issues.some((i) => i.startsWith('webMeeting.baseUrl: must start with https://'))).toBe(true);
  });
});

describe('config: how long created accounts are paid for', () => {
  const provisioning = (p: string) => minimal.replace('  accountIds:', `  provisioning: ${p}\n  accountIds:`);
  const env = { WEBMEETING_API_KEY: 'k-123456' };
  const now = new Date('2031-02-28T12:00:00.000Z');

  it('defaults to one year counted from the creation, not to a fixed date', () => {
    const cfg = parseConfig(minimal, env, '/tmp');
    expect(cfg.webMeeting.provisioning.paidUntil).toBe('P1Y');
    expect(resolvePaidUntil(cfg.webMeeting.provisioning.paidUntil, now).toISOString()).toBe('2032-02-28T12:00:00.000Z');
  });

  it('takes an ISO duration, a number of days, or a fixed instant', () => {
    expect(resolvePaidUntil('P6M', now).toISOString()).toBe('2031-08-28T12:00:00.000Z');
    expect(resolvePaidUntil('365d', now).toISOString()).toBe('2032-02-28T12:00:00.000Z');
    expect(resolvePaidUntil('2040-01-01T00:00:00Z', now).toISOString()).toBe('2040-01-01T00:00:00.000Z');
    expect(parseConfig(provisioning('{ enabled: true, paidUntil: 90d }'), env, '/tmp').webMeeting.provisioning.paidUntil).toBe('90d');
  });

  it('refuses what is neither, and a fixed date already past while provisioning is on', () => {
    expect(issuesOf(() => parseConfig(provisioning('{ paidUntil: next year }'), env, '/tmp'))).toEqual([
      'webMeeting.provisioning.paidUntil: must be a duration from the moment the account is created, such as P1Y, P6M or 365d, or an ISO-8601 UTC instant such as 2027-12-31T00:00:00Z',
    ]);
    expect(issuesOf(() => parseConfig(provisioning('{ enabled: true, paidUntil: "2020-12-31T00:00:00.000Z" }'), env, '/tmp'))).toEqual([
      "webMeeting.provisioning.paidUntil: 2020-12-31T00:00:00.000Z is in the past; give a duration such as P1Y (counted from each account's creation)",
    ]);
    // A config written for an older version (fixed date, provisioning off) still loads.
    expect(parseConfig(provisioning('{ enabled: false, paidUntil: "2020-12-31T00:00:00.000Z" }'), env, '/tmp').webMeeting.provisioning.enabled).toBe(false);
  });

  // Found by test/fuzz/config.test.ts: each of these escaped as another exception or printed more than one line.
  it('turns YAML aliases that cannot be expanded into a config error', () => {
    expect(() => parseConfig('webMeeting: &w\n  self: *w\n', {}, '/tmp', 'x.yaml')).toThrow(ConfigError);
    expect(issuesOf(() => parseConfig('a: &x [*x]\n', {}, '/tmp'))).toContain(
      'a[0]: a YAML alias (*name) here refers to a node that contains it; write the value out instead',
    );
    expect(() => parseConfig('webMeeting:\n  apiKey: *s3cretKey\n', {}, '/tmp', 'x.yaml')).toThrow(/^x\.yaml: not valid YAML: a value starting with \* is read as an alias .*; put the value in quotes$/);
    const bomb = `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [${Array(120).fill('*b').join(',')}]\n`;
    expect(() => parseConfig(bomb, {}, '/tmp', 'x.yaml')).toThrow(/^x\.yaml: not valid YAML: too many aliases/);
    expect(() => parseConfig(`a: ${'['.repeat(20_000)}`, {}, '/tmp', 'x.yaml')).toThrow(/not valid YAML: nested too deeply to read/);
  });

  it('never echoes a value run into its key by a missing colon', () => {
    const text = `${minimal}  - name: o\n    kind: outlook\n    mailboxes: [bob@example.com]\n    auth: { tenantId: t, clientId: c, clientSecret 'v3ry-s3cret-value' }\n`;
    const issues = issuesOf(() => parseConfig(text, { WEBMEETING_API_KEY: 'k-123456' }, '/tmp'));
    expect(issues).toContain('sources[1].auth."clientSecret…": unknown key (check its spelling against config.example.yaml)');
    expect(issues.join('\n')).not.toContain('v3ry-s3cret');
  });

  // Found by the config fuzz (FUZZ_SEED=1142950932): a damaged line left a secret as a key of its own.
  it('never names an unknown key that looks like a value (digits or signs in it): it may be a secret', () => {
    const text = `${minimal}  - name: o\n    kind: outlook\n    mailboxes: [bob@example.com]\n    auth:\n      tenantId: t\n      clientId: c\n      S3cr3t-Pa0hXr3Ie9Sz2Gun: x\n`;
    const issues = issuesOf(() => parseConfig(text, { WEBMEETING_API_KEY: 'k-123456' }, '/tmp'));
    expect(issues).toContain(
      "sources[1].auth: a key that is no word of this config (digits or signs in its name: a value on a line of its own, or a key and its value run together without ': '?); not shown, as it may be a secret: check the indentation here against config.example.yaml",
    );
    expect(issues.join('\n')).not.toContain('S3cr3t');
  });

  it('shows a key with a line break in it on one line, and bounds in words', () => {
    const issues = issuesOf(() => parseConfig(`${minimal}"a\\nb": 1\n"\\rwindow": 2\nwindow: { pastDays: -1, futureDays: 1.5 }\n`, { WEBMEETING_API_KEY: 'k-123456' }, '/tmp'));
    expect(issues).toEqual(
      expect.arrayContaining([
        '"a…": unknown key (check its spelling against config.example.yaml)',
        '"\\rwindow": unknown key (check its spelling against config.example.yaml)',
        'window.pastDays: must be at least 0',
        'window.futureDays: must be a whole number',
      ]),
    );
  });

  it('refuses one calendar listed twice, in two sources or in two cases: each of its events would get two meetings', () => {
    const twice = `${minimal}  - name: other
    kind: google
    calendars: [team@example.com, Alice@Example.com]
    auth: { type: serviceAccount, keyFile: ./k.json }
`;
    expect(issuesOf(() => parseConfig(twice, { WEBMEETING_API_KEY: 'k-123456' }, '/etc/meetsync'))).toEqual([
      'sources[1].calendars[1]: calendar "Alice@Example.com" is listed already, at sources[0].calendars[0]',
    ]);
  });
});

describe('config: the Outlook credential', () => {
  const withAuth = (auth: string) =>
    `${MINIMAL_CONFIG}  - name: o\n    kind: outlook\n    mailboxes: [bob@example.com]\n    auth: ${auth}\n`;
  const env = { WEBMEETING_API_KEY: 'k-123456', GRAPH_CERT_KEY: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAAS\n-----END PRIVATE KEY-----' };

  it('takes a client certificate instead of the secret, its files resolved against the config file', () => {
    const cfg = parseConfig(withAuth('{ tenantId: t, clientId: c, clientCertificate: { certificatePath: ./certs/app.crt, privateKeyPath: ./certs/app.key } }'), env, '/etc/meetsync');
    const source = cfg.sources[1]!;
    expect(source.kind === 'outlook' && source.auth.clientCertificate).toEqual({ certificatePath: '/etc/meetsync/certs/app.crt', privateKeyPath: '/etc/meetsync/certs/app.key' });
    const inline = parseConfig(withAuth('{ tenantId: t, clientId: c, clientCertificate: { certificatePath: app.crt, privateKey: "${GRAPH_CERT_KEY}" } }'), env, '/etc/meetsync');
    const key = inline.sources[1]!.kind === 'outlook' ? inline.sources[1]!.auth.clientCertificate?.privateKey : undefined;
    expect(key).toBe(env.GRAPH_CERT_KEY);
  });

  it('needs exactly one of clientSecret and clientCertificate: one line for neither, one for both, one for the key', () => {
    expect(issuesOf(() => parseConfig(withAuth('{ tenantId: t, clientId: c }'), env, '/tmp'))).toEqual([
      'sources[1].auth: give exactly one of clientSecret and clientCertificate {certificatePath, privateKeyPath}',
    ]);
    const both = issuesOf(() =>
      parseConfig(withAuth('{ tenantId: t, clientId: c, clientSecret: s3cret-value, clientCertificate: { certificatePath: a.crt, privateKeyPath: a.key } }'), env, '/tmp'),
    );
    expect(both).toEqual(['sources[1].auth: give exactly one of clientSecret and clientCertificate {certificatePath, privateKeyPath}']);
    expect(both.join('\n')).not.toContain('s3cret-value');
    const twoKeys = issuesOf(() =>
      parseConfig(withAuth('{ tenantId: t, clientId: c, clientCertificate: { certificatePath: a.crt, privateKeyPath: a.key, privateKey: "${GRAPH_CERT_KEY}" } }'), env, '/tmp'),
    );
    expect(twoKeys).toEqual(['sources[1].auth.clientCertificate: give exactly one of privateKeyPath (a PEM file) and privateKey (the PEM itself)']);
    expect(twoKeys.join('\n')).not.toContain('MIIEvQ');
  });
});
