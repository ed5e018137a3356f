import { describe, expect, it } from 'vitest';
import { configuredCalendars } from '../../src/config/calendars.js';
import { parseConfig, SHARD_REPLACED } from '../../src/config/load.js';
import { ConfigError } from '../../src/domain/errors.js';

/**
 * Issue 17 retired sharding: several meetsync instances are replicas on one PostgreSQL database,
 * sharing the calendars out by leases (store/leases.ts). What test/unit/shard.test.ts promised of
 * the config, in those terms: every configured calendar is this process's to serve (the share
 * a replica serves is the leases', tested in test/integration/replicas.test.ts), and a config
 * that still has `shard:` is refused in one line that says what replaced it.
 */
const base = (extra: string) => `
webMeeting:
  baseUrl: https://meeting.example.com
  apiKey: key-123456
sources:
  - name: corp-google
    kind: google
    calendars: [alice@example.com, carol@example.com, dave@example.com, erin@example.com]
    auth: { type: serviceAccount, keyFile: ./sa.json }
  - name: corp-m365
    kind: outlook
    mailboxes: [bob@example.com, frank@example.com]
    auth: { tenantId: t, clientId: c, clientSecret: s }
${extra}
`;

/** The one line the CLI prints for a config error: the path and the message of its single issue. */
function oneProblem(text: string, env: NodeJS.ProcessEnv): string {
  try {
    parseConfig(text, env, '/etc/meetsync');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toHaveLength(1);
    expect((err as ConfigError).exitCode).toBe(2);
    return `${issues[0]!.path}: ${issues[0]!.message}`;
  }
  throw new Error('expected a ConfigError');
}

describe('shard: in the config (retired by issue 17)', () => {
  it('is refused in one line, exit 2, whatever its form, saying replicas on a PostgreSQL database replaced it', () => {
    const line = `shard: ${SHARD_REPLACED}`;
    expect(line).toMatch(/sharding was replaced by replicas/);
    expect(line).toMatch(/PostgreSQL URL \(postgres:\/\/\.\.\.\)/);
    expect(line).toMatch(/any number of 'meetsync run' replicas/);
    expect(line).toMatch(/see README/);
    for (const shard of ['shard: { count: 3, index: 1 }', 'shard: auto', 'shard: { count: 3, index: auto }', 'shard:', 'shard: { count: "${N}" }']) {
      expect(oneProblem(base(shard), { HOSTNAME: 'meetsync-0', MEETSYNC_SHARD_COUNT: '3' }), shard).toBe(line);
      expect(oneProblem(`database: postgres://meetsync@db.internal/meetsync\n${base(shard)}`, {}), shard).toBe(line);
    }
    // One line even when the rest of the file has problems of its own: the retired key is the one to fix first.
    expect(oneProblem(`${base('shard: { count: 2, index: 0 }')}\nschedule: nonsense\nunknownKey: 1\n`, {})).toBe(line);
  });

  it('is no longer read from the environment: MEETSYNC_SHARD_COUNT and HOSTNAME change nothing', () => {
    const cfg = parseConfig(base(''), { HOSTNAME: 'meetsync-2', MEETSYNC_SHARD_COUNT: '3' }, '/etc');
    expect(cfg).not.toHaveProperty('shard');
    expect(configuredCalendars(cfg)).toHaveLength(6);
  });
});

describe('the configured calendars', () => {
  it('are every calendar of every source, in config order, each with its identity: one process alone serves them all', () => {
    const cfg = parseConfig(base(''), {}, '/etc');
    expect(configuredCalendars(cfg).map((c) => [c.source, c.kind, c.calendarId, c.identity])).toEqual([
      ['corp-google', 'google', 'alice@example.com', 'google:alice@example.com'],
      ['corp-google', 'google', 'carol@example.com', 'google:carol@example.com'],
      ['corp-google', 'google', 'dave@example.com', 'google:dave@example.com'],
      ['corp-google', 'google', 'erin@example.com', 'google:erin@example.com'],
      ['corp-m365', 'outlook', 'bob@example.com', 'outlook:t:bob@example.com'],
      ['corp-m365', 'outlook', 'frank@example.com', 'outlook:t:frank@example.com'],
    ]);
  });

  it('are the same on a PostgreSQL database, where replicas share them out by leases; the URL is taken as written', () => {
    const cfg = parseConfig(`database: "postgres://meetsync:\${PW}@db.internal:5432/meetsync?sslmode=require"\n${base('')}`, { PW: 'pw' }, '/etc');
    expect(cfg.database).toBe('postgres://meetsync:pw@db.internal:5432/meetsync?sslmode=require');
    expect(configuredCalendars(cfg)).toEqual(configuredCalendars(parseConfig(base(''), {}, '/etc')));
  });
});
