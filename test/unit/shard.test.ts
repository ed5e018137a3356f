import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/domain/errors.js';
import { ownerOf, type CalendarIdentity } from '../../src/shard/hash.js';
import { configuredCalendars, ownedSources } from '../../src/shard/ownership.js';

const calendars = (n: number): CalendarIdentity[] =>
  Array.from({ length: n }, (_, i) => (i % 2 === 0 ? { kind: 'google', source: 'corp-google', calendarId: `user${i}@example.com` } : { kind: 'outlook', source: 'corp-m365', calendarId: `person${i}@example.org` }));

describe('shard hash (rendezvous)', () => {
  it('gives the same owner on every run and platform: pinned values', () => {
    // Pinned: a change of the hash would move calendars between shards on upgrade, silently.
    const pinned = [
      { c: { kind: 'google', source: 'corp-google', calendarId: 'alice@example.com' }, owners: [0, 0, 0, 3, 4] },
      { c: { kind: 'outlook', source: 'corp-m365', calendarId: 'bob@example.com' }, owners: [0, 0, 0, 3, 3] },
    ];
    for (const { c, owners } of pinned) expect([1, 2, 3, 4, 5].map((n) => ownerOf(c, n))).toEqual(owners);
  });

  it('depends on the kind, the source name and the calendar id', () => {
    const base = { kind: 'google', source: 'a', calendarId: 'x@example.com' };
    const variants = [base, { ...base, kind: 'outlook' }, { ...base, source: 'b' }, { ...base, calendarId: 'y@example.com' }];
    // Over 16 shards, four different identities all landing on one owner is a 1-in-4096 coincidence.
    expect(new Set(variants.map((v) => ownerOf(v, 16))).size).toBeGreaterThan(1);
  });

  it('shares 10,000 calendars as evenly as a fair random draw: every shard within 4 standard deviations of its share', () => {
    const all = calendars(10_000);
    for (const n of [2, 3, 5, 8]) {
      const counts = new Array<number>(n).fill(0);
      for (const c of all) counts[ownerOf(c, n)]! += 1;
      const fair = all.length / n;
      // Binomial: sd = sqrt(N p (1-p)); 8 shards: 1250 +- 132 (10.6%), 2 shards: 5000 +- 200 (4%).
      const sd = Math.sqrt(all.length * (1 / n) * (1 - 1 / n));
      for (const k of counts) expect(Math.abs(k - fair)).toBeLessThan(4 * sd);
    }
  });

  it('from n to n+1 shards moves only calendars to the new shard, about 1/(n+1) of them', () => {
    const all = calendars(6_000);
    for (let n = 1; n <= 6; n++) {
      let moved = 0;
      for (const c of all) {
        const before = ownerOf(c, n);
        const after = ownerOf(c, n + 1);
        if (before !== after) {
          moved += 1;
          expect(after).toBe(n);
        }
      }
      expect(Math.abs(moved / all.length - 1 / (n + 1))).toBeLessThan(0.03);
    }
  });

  it('refuses a count below 1', () => {
    expect(() => ownerOf({ kind: 'google', source: 's', calendarId: 'c' }, 0)).toThrow(RangeError);
  });
});

const base = (shard: string) => `
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
${shard}
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

describe('shard: in the config', () => {
  it('is absent by default: one instance owns every calendar', () => {
    const cfg = parseConfig(base(''), {}, '/etc');
    expect(cfg.shard).toBeUndefined();
    expect(configuredCalendars(cfg).every((c) => c.elsewhere === undefined)).toBe(true);
    expect(ownedSources(cfg).map((s) => s.source)).toEqual(cfg.sources);
  });

  it('is refused with a PostgreSQL database, which replicas share instead (issue 17); the URL is taken as written', () => {
    expect(oneProblem(`database: postgres://meetsync@db.internal/meetsync\n${base('shard: { count: 3, index: 1 }')}`, {})).toMatch(/^shard: .*on a PostgreSQL database remove 'shard'/);
    expect(parseConfig(`database: "postgres://meetsync:\${PW}@db.internal:5432/meetsync?sslmode=require"\n${base('')}`, { PW: 'pw' }, '/etc').database).toBe(
      'postgres://meetsync:pw@db.internal:5432/meetsync?sslmode=require',
    );
  });

  it('takes {count, index} as numbers, or from ${VAR} text', () => {
    expect(parseConfig(base('shard: { count: 3, index: 1 }'), {}, '/etc').shard).toEqual({ index: 1, count: 3 });
    expect(parseConfig(base('shard: { count: "${N}", index: "${I}" }'), { N: '4', I: '3' }, '/etc').shard).toEqual({ index: 3, count: 4 });
  });

  it('index: auto takes the ordinal of the StatefulSet pod name in HOSTNAME', () => {
    expect(parseConfig(base('shard: { count: 3, index: auto }'), { HOSTNAME: 'meetsync-2' }, '/etc').shard).toEqual({ index: 2, count: 3 });
    expect(parseConfig(base('shard: { count: 3 }'), { HOSTNAME: 'meetsync-0' }, '/etc').shard).toEqual({ index: 0, count: 3 });
  });

  it('shard: auto takes the count from MEETSYNC_SHARD_COUNT', () => {
    expect(parseConfig(base('shard: auto'), { HOSTNAME: 'meetsync-1', MEETSYNC_SHARD_COUNT: '2' }, '/etc').shard).toEqual({ index: 1, count: 2 });
    expect(oneProblem(base('shard: auto'), { HOSTNAME: 'meetsync-1' })).toMatch(/^shard\.count: required: the number of meetsync instances .*MEETSYNC_SHARD_COUNT/);
  });

  it('refuses, in one line each, every way the index and count can disagree', () => {
    expect(oneProblem(base('shard: { count: 3, index: auto }'), { HOSTNAME: 'meetsync-3' })).toBe(
      'shard.index: this instance ("meetsync-3") is shard 3 but shard.count is 3, so shards are 0 to 2; scale the replicas and shard.count together (docs/scaling.md)',
    );
    expect(oneProblem(base('shard: { count: 2, index: 2 }'), {})).toMatch(/^shard\.index: is 2 but shard\.count is 2/);
    expect(oneProblem(base('shard: { count: 3, index: auto }'), { HOSTNAME: 'worker' })).toMatch(/^shard\.index: auto takes the index from the ordinal .* HOSTNAME is "worker"/);
    expect(oneProblem(base('shard: { count: 3, index: auto }'), {})).toMatch(/HOSTNAME is not set/);
    expect(oneProblem(base('shard: { count: 3 }'), { HOSTNAME: 'meetsync-0', MEETSYNC_SHARD_COUNT: '4' })).toBe(
      'shard.count: is 3 but MEETSYNC_SHARD_COUNT is 4; give the number of instances in one place (change both together when scaling)',
    );
    expect(oneProblem(base('shard: { count: 0, index: 0 }'), {})).toMatch(/^shard\.count: must be a whole number from 1/);
    expect(oneProblem(base('shard: { count: 2, index: -1 }'), {})).toMatch(/^shard\.index: must be auto .* or a whole number/);
    expect(oneProblem(base('shard: { count: 2, idx: 1 }'), {})).toMatch(/^shard\.idx: unknown key/);
    expect(oneProblem(base('shard: auto'), { HOSTNAME: 'meetsync-0', MEETSYNC_SHARD_COUNT: 'three' })).toMatch(/MEETSYNC_SHARD_COUNT is "three"/);
  });

  it('splits the configured calendars among the shards: each one owned by exactly one, sources without any left out', () => {
    const owners = new Map<string, number>();
    for (let index = 0; index < 3; index++) {
      const cfg = parseConfig(base(`shard: { count: 3, index: ${index} }`), {}, '/etc');
      for (const { source } of ownedSources(cfg)) {
        const ids = source.kind === 'google' ? source.calendars : source.mailboxes;
        expect(ids.length).toBeGreaterThan(0);
        for (const id of ids) {
          expect(owners.has(`${source.name}/${id}`)).toBe(false);
          owners.set(`${source.name}/${id}`, index);
        }
      }
      for (const c of configuredCalendars(cfg)) {
        expect(c.elsewhere === undefined).toBe(owners.get(`${c.source}/${c.calendarId}`) === index);
        if (c.elsewhere) expect(c.elsewhere.count).toBe(3);
      }
    }
    expect(owners.size).toBe(6);
  });
});
