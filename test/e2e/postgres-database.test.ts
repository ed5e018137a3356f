import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CalendarLeases } from '../../src/store/leases.js';
import { Store } from '../../src/store/store.js';
import { runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';
import { freshPostgresDatabase, mappingsIn } from '../support/postgres.js';

/**
 * Issue 17, first step: meetsync run as a user would, with `database:` a postgres:// URL whose
 * password comes from the environment, on the run's real PostgreSQL server. Requires `npm run build`.
 */
describe('meetsync on a PostgreSQL database', () => {
  let w: CliWorld;
  let db: { url: string; drop(): Promise<void> };
  const PASSWORD = 'pg-secret-password-4711';
  beforeEach(async () => {
    w = await startCliWorld();
    db = await freshPostgresDatabase();
    // The test server trusts loopback connections: the password is accepted and ignored, which is
    // enough to see that it is read from the environment and shown nowhere.
    const url = new URL(db.url);
    url.password = '${MEETSYNC_DB_PASSWORD}';
    const config = readFileSync(w.configPath, 'utf8').replace('database: ./data/meetsync.db', `database: "${decodeURIComponent(url.toString())}"`);
    writeFileSync(w.configPath, config);
  });
  afterEach(async () => {
    await w.close();
    await db.drop();
  });

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir, env: { ...process.env, MEETSYNC_DB_PASSWORD: PASSWORD } });

  it('syncs, keeps its records there, is quiet the second time, and never shows the password', async () => {
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    w.google.userInsert(w.calendar, { summary: 'Planning #webmeeting', start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } });
    const first = await cli('sync', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: 1 });
    const second = await cli('sync', '--json');
    expect(JSON.parse(second.stdout)).toMatchObject({ created: 0, updated: 0 });
    expect(w.webMeeting.meetings()).toHaveLength(1);

    expect(await mappingsIn(db.url)).toEqual([{ state: 'active', meetingId: w.webMeeting.meetings()[0]!.id }]);
    const status = await cli('status');
    expect(status.code, status.stderr).toBe(0);
    for (const r of [first, second, status]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it("leaves a calendar whose lease another replica holds to that replica, and serves it once it is given back", async () => {
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    const other = Store.open(db.url);
    try {
      // A replica running elsewhere holds the calendar's lease.
      const leases = new CalendarLeases(other, { replicaId: 'replica-elsewhere', ttlMs: 60_000 });
      expect(leases.claim([{ source: 'corp-google', calendarId: w.calendar }]).size).toBe(1);
      w.google.userInsert(w.calendar, { summary: 'Planning #webmeeting', start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } });
      const beside = await cli('sync', '--json');
      expect(beside.code, beside.stderr).toBe(0);
      expect(JSON.parse(beside.stdout)).toMatchObject({ created: 0 });
      expect(w.webMeeting.meetings()).toHaveLength(0);
      leases.release();
    } finally {
      other.close();
    }
    const after = await cli('sync', '--json');
    expect(JSON.parse(after.stdout)).toMatchObject({ created: 1 });
  });

  it('doctor reads the PostgreSQL database without changing it: empty, then current, then out of reach', async () => {
    const databaseLine = (stdout: string) => stdout.split('\n').find((l) => /^\S+\s+database: /.test(l)) ?? `no database line in:\n${stdout}`;
    const empty = await cli('doctor');
    expect(databaseLine(empty.stdout)).toMatch(/^ok\s+database: postgres:\/\/meetsync:\*\*\*@.* is empty: meetsync creates its tables on first sync/);
    expect(await mappingsIn(db.url), 'doctor created nothing').toEqual([]);
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    expect((await cli('sync')).code).toBe(0);
    const current = await cli('doctor');
    expect(databaseLine(current.stdout)).toMatch(/^ok\s+database: .*schema \d+, migrations current/);
    writeFileSync(w.configPath, readFileSync(w.configPath, 'utf8').replace(/@127\.0\.0\.1:\d+/, '@127.0.0.1:1'));
    const down = await cli('doctor');
    expect(down.code).toBe(1);
    expect(databaseLine(down.stdout)).toMatch(/^FAIL\s+database: postgres:\/\/meetsync:\*\*\*@127\.0\.0\.1:1\/.* cannot be reached/);
    for (const r of [empty, current, down]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('says in one line that the server cannot be reached, without the password', async () => {
    const config = readFileSync(w.configPath, 'utf8').replace(/database: "postgres:\/\/([^@]*)@127\.0\.0\.1:\d+/, 'database: "postgres://$1@127.0.0.1:1');
    writeFileSync(w.configPath, config);
    const r = await cli('sync');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot connect to the database postgres:\/\/meetsync:\*\*\*@127\.0\.0\.1:1\/.*check the 'database' key/);
    expect(r.stderr).not.toContain(PASSWORD);
  });
});
