import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';
import { freshPostgresDatabase, mappingsIn } from '../support/postgres.js';

/**
 * Issue 17: `meetsync db copy --to <postgres url>` as a user moves an SQLite database to
 * PostgreSQL: copy, switch `database:` to the URL, and meetsync goes on where it was. Requires `npm run build`.
 */
describe('meetsync db copy', () => {
  let w: CliWorld;
  let db: { url: string; drop(): Promise<void> };
  /** The URL with a password in it (the test server trusts loopback connections and ignores it). */
  let url: string;
  const PASSWORD = 'copy-pg-password-0815';
  beforeEach(async () => {
    w = await startCliWorld();
    db = await freshPostgresDatabase();
    const u = new URL(db.url);
    u.password = PASSWORD;
    url = u.toString();
  });
  afterEach(async () => {
    await w.close();
    await db.drop();
  });

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });

  it('moves the records of an SQLite database to PostgreSQL: after switching database: to the URL, sync finds nothing to do', async () => {
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    w.google.userInsert(w.calendar, { summary: 'Planning #webmeeting', start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } });
    const first = await cli('sync', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: 1 });

    const copy = await cli('db', 'copy', '--to', url);
    expect(copy.code, copy.stderr).toBe(0);
    expect(copy.stdout).toMatch(/^ {2}mappings +1 row$/m);
    expect(copy.stdout).toMatch(/^ {2}organizers +1 row$/m);
    expect(copy.stdout.trim().split('\n').at(-1)).toContain(`set in the config: database: "${url.replace(PASSWORD, '***')}"`);

    writeFileSync(w.configPath, readFileSync(w.configPath, 'utf8').replace('database: ./data/meetsync.db', `database: "${url}"`));
    const after = await cli('sync', '--json');
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ created: 0, updated: 0 });
    expect(w.webMeeting.meetings()).toHaveLength(1);
    expect(await mappingsIn(db.url)).toEqual([{ state: 'active', meetingId: w.webMeeting.meetings()[0]!.id }]);
    for (const r of [copy, after]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('says what it copied in --json', async () => {
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    const copy = await cli('--json', 'db', 'copy', '--to', url);
    expect(copy.code, copy.stderr).toBe(0);
    const report = JSON.parse(copy.stdout) as { to: string; database: string; tables: Array<{ table: string; rows: number }> };
    expect(report.database).toBe(url.replace(PASSWORD, '***'));
    expect(report.tables).toContainEqual({ table: 'organizers', rows: 1 });
    expect(copy.stdout).not.toContain(PASSWORD);
  });

  it('refuses, exit 2 and one line without the password, a target that already holds records', async () => {
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    expect((await cli('db', 'copy', '--to', url)).code).toBe(0);
    const again = await cli('db', 'copy', '--to', url);
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/already holds meetsync records .*copy into an empty database/);
    expect(again.stderr).not.toContain(PASSWORD);
  });

  it('requires --to (exit 2)', async () => {
    const r = await cli('db', 'copy');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("required option '--to <target>'");
  });
});
