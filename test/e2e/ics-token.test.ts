import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliResult, type CliWorld } from '../support/cli-harness.js';

/**
 * An ICS token is a bearer secret (anyone holding it reads that organizer's meetings). When the
 * platform's error message echoes one, it must not reach the terminal, the logs, `status` or the
 * database, whether or not the process read that token from the platform itself.
 */
describe('meetsync CLI: ICS tokens echoed by the platform', () => {
  let w: CliWorld;
  beforeEach(async () => {
    w = await startCliWorld();
  });
  afterEach(async () => w.close());

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });
  const tagged = () => w.google.userInsert(w.calendar, { summary: 'Planning #webmeeting', start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } });
  const echo = (text: string) =>
    w.webMeeting.server.inject({ kind: 'status', status: 400, method: 'POST', pathIncludes: '/api/v6/meeting', body: { responseCode: -4, responseMessage: text, data: null } });
  const databaseBytes = () =>
    Buffer.concat(['', '-wal'].filter((s) => existsSync(w.dbPath + s)).map((s) => readFileSync(w.dbPath + s))).toString('latin1');

  async function expectNowhere(tokens: string[], runs: CliResult[]): Promise<void> {
    const status = await cli('status');
    const statusJson = await cli('status', '--json');
    expect(status.stdout).toContain('Events needing attention:');
    const printed = [...runs, status, statusJson].map((r) => r.stdout + r.stderr).join('\n');
    expect(printed).toContain('[redacted]');
    for (const token of tokens) {
      expect(printed).not.toContain(token);
      expect(databaseBytes()).not.toContain(token);
    }
  }

  it('a sync that never read the admins: the token is still kept out (it has the documented shape)', async () => {
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    const { icsToken, icsPath } = w.webMeeting.users()[0]!;
    tagged();
    echo(`data not valid: the organizer's calendar ${icsToken} is locked (see https://meet.example${icsPath}?x=1)`);
    const sync = await cli('sync');
    expect(sync.code).toBe(1);
    expect(w.webMeeting.server.received('GET', '/account/admin/')).toHaveLength(1); // accounts create's, not the sync's
    expect(sync.stdout).toMatch(/failed .*data not valid: the organizer's calendar \[redacted\] is locked/);
    await expectNowhere([icsToken], [sync]);
  });

  it('a token of another shape, read from an icsPath with a trailing slash and a query string, is kept out', async () => {
    const { account, admin } = w.webMeeting.seedAccount({ adminEmail: 'alice@example.com' });
    writeFileSync(w.configPath, readFileSync(w.configPath, 'utf8').replace('accountIds: []', `accountIds: [${account.id}]`));
    const token = `Feed.${randomBytes(12).toString('hex')}`;
    const encoded = `${token}%2Bv2`;
    const decoded = `${token}+v2`;
    const listed = [{ ...admin, icsToken: null, icsPath: `/api/v6/meeting/calender/user/${encoded}/?format=ics` }];
    w.webMeeting.server.inject({ kind: 'status', status: 200, method: 'GET', pathIncludes: '/account/admin/', body: { responseCode: 0, data: listed } });
    tagged();
    echo(`data not valid: feed ${decoded} of this user is locked`);
    const sync = await cli('sync');
    expect(sync.code).toBe(1);
    expect(sync.stdout).toMatch(/failed .*data not valid: feed \[redacted\] of this user is locked/);
    await expectNowhere([token], [sync]);

    // `organizers --refresh` registers what it reads before the next account's error echoes it.
    const second = w.webMeeting.seedAccount({ adminEmail: 'bob@example.com' }).account;
    writeFileSync(w.configPath, readFileSync(w.configPath, 'utf8').replace(`accountIds: [${account.id}]`, `accountIds: [${account.id}, ${second.id}]`));
    const other = `Other.${randomBytes(12).toString('hex')}`;
    w.webMeeting.server.inject({ kind: 'status', status: 200, method: 'GET', pathIncludes: `/account/admin/${account.id}`, body: { responseCode: 0, data: [{ ...admin, icsToken: other, icsPath: null }] } });
    w.webMeeting.server.inject({ kind: 'status', status: 500, count: 10, method: 'GET', pathIncludes: `/account/admin/${second.id}`, body: { responseCode: -99, responseMessage: `internal error near ${other}` } });
    const refresh = await cli('organizers', '--refresh');
    expect(refresh.code).toBe(1);
    expect(refresh.stderr).toContain('internal error near [redacted]');
    expect(refresh.stdout + refresh.stderr).not.toContain(other);
  });
});
