import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/domain/errors.js';

const minimal = `
webMeeting:
  baseUrl: https://meeting.example.com
  apiKey: \${WEBMEETING_API_KEY}
  accountIds: [5e9459c5b863b82cefdddf4f]
sources:
  - name: corp-google
    kind: google
    calendars: [alice@example.com]
    auth: { type: serviceAccount, keyFile: ./secrets/google-sa.json }
`;

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

  it('accepts config.example.yaml as shipped', () => {
    const here = path.dirname(new URL(import.meta.url).pathname);
    const env = { WEBMEETING_API_KEY: 'k-123456', GRAPH_CLIENT_SECRET: 'secret-xyz' };
    const { config } = loadConfig(path.join(here, '../../config.example.yaml'), env, process.cwd());
    expect(config.sources.map((s) => s.kind)).toEqual(['google', 'outlook']);
  });

  it('never repeats a secret in an error', () => {
    const text = minimal.replace('accountIds: [5e9459c5b863b82cefdddf4f]', 'accountIds: [super-secret-key-value]');
    const issues = issuesOf(() => parseConfig(text, { WEBMEETING_API_KEY: 'super-secret-key-value' }, '/tmp'));
    expect(issues.join('\n')).not.toContain('super-secret-key-value');
  });
});
