import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';

/** Accounts meetsync creates are paid for a year from their creation, whenever that is. */
describe('meetsync CLI: paidUntil of created accounts', () => {
  let w: CliWorld;
  beforeEach(async () => {
    w = await startCliWorld();
  });
  afterEach(async () => w.close());

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });
  const DAY = 24 * 3600 * 1000;
  const aboutAYearFromNow = (iso: string | undefined) => {
    const expected = new Date();
    expected.setUTCFullYear(expected.getUTCFullYear() + 1);
    return Math.abs(Date.parse(iso ?? '') - expected.getTime()) < DAY;
  };

  it('accounts create without --paid-until: one year from now; with a duration or a date: as given', async () => {
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    expect(aboutAYearFromNow(w.webMeeting.accounts()[0]?.paidUntil)).toBe(true);

    expect((await cli('accounts', 'create', '--email', 'bob@example.com', '--first', 'Bob', '--last', 'B', '--paid-until', '30d')).code).toBe(0);
    expect(Math.abs(Date.parse(w.webMeeting.accounts()[1]!.paidUntil) - (Date.now() + 30 * DAY))).toBeLessThan(DAY);

    const bad = await cli('accounts', 'create', '--email', 'carol@example.com', '--first', 'C', '--last', 'C', '--paid-until', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^meetsync: --paid-until soon: must be a duration .* such as P1Y/);
    const past = await cli('accounts', 'create', '--email', 'carol@example.com', '--first', 'C', '--last', 'C', '--paid-until', '2020-01-01T00:00:00Z');
    expect(past.code).toBe(2);
    expect(past.stderr.trim()).toBe('meetsync: --paid-until 2020-01-01T00:00:00Z is in the past: the account would be created expired; give a duration such as P1Y');
    expect(w.webMeeting.accounts()).toHaveLength(2);
  });

  it('provisioning during a sync: the account is paid for one year from its creation', async () => {
    writeFileSync(w.configPath, readFileSync(w.configPath, 'utf8').replace('  accountIds: []', '  accountIds: []\n  provisioning: { enabled: true }'));
    w.google.userInsert(w.calendar, { summary: 'Planning #webmeeting', start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } });
    const r = await cli('sync', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ created: 1 });
    const [account] = w.webMeeting.accounts();
    expect(aboutAYearFromNow(account?.paidUntil)).toBe(true);
  });
});
