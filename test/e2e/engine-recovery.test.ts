import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';

/**
 * Issue 7 as a user meets it, with the `meetsync` command as a separate process against the
 * simulators: the API key rotated under meetsync, then restored; and cron-started syncs while an
 * event waits for its organizer.
 */
describe('meetsync CLI recovers what a refused cycle left', () => {
  let w: CliWorld;
  beforeEach(async () => {
    w = await startCliWorld();
  });
  afterEach(async () => w.close());

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });
  const event = (summary: string, start: string, end: string) =>
    w.google.userInsert(w.calendar, { summary, start: { dateTime: start, timeZone: 'UTC' }, end: { dateTime: end, timeZone: 'UTC' } });

  it('applies every change made while the API key was refused, once the key is back', async () => {
    expect((await cli('accounts', 'create', '--email', w.calendar, '--first', 'Alice', '--last', 'Example')).code).toBe(0);
    const moved = event('Planning #webmeeting', '2030-01-07T09:00:00Z', '2030-01-07T10:00:00Z');
    const deleted = event('Retro #webmeeting', '2030-01-08T09:00:00Z', '2030-01-08T10:00:00Z');
    expect((await cli('sync')).code).toBe(0);
    expect(w.webMeeting.meetings()).toHaveLength(2);

    const goodKey = process.env.TEST_WM_KEY;
    process.env.TEST_WM_KEY = 'rotated-key-000000000000';
    event('Added #webmeeting', '2030-01-09T09:00:00Z', '2030-01-09T10:00:00Z');
    w.google.userPatch(w.calendar, moved.id!, { start: { dateTime: '2030-01-07T13:00:00Z', timeZone: 'UTC' }, end: { dateTime: '2030-01-07T14:00:00Z', timeZone: 'UTC' } });
    w.google.userDelete(w.calendar, deleted.id!);
    const refused = await cli('sync');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/CREDENTIAL BROKEN Web Meeting platform: the Web Meeting platform refused meetsync's API key/);
    expect(refused.stdout + refused.stderr).not.toContain('rotated-key-000000000000');
    const during = await cli('status');
    expect(during.code).toBe(1);
    expect(during.stdout).toMatch(/FAILING/);

    process.env.TEST_WM_KEY = goodKey;
    const back = await cli('sync');
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(back.stdout).toMatch(/1 created, 1 updated, 1 cancelled, 0 adopted, 0 skipped, 0 failed/);
    const meetings = w.webMeeting.meetings();
    expect(meetings.map((m) => m.topic).sort()).toEqual(['Added', 'Planning']);
    expect(meetings.find((m) => m.topic === 'Planning')?.startTime).toBe('2030-01-07T13:00:00.000Z');
    const after = await cli('status');
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toMatch(/: ok/);
  });

  it('makes no platform call in a no-change sync while an event waits for its organizer', async () => {
    event('Planning #webmeeting', '2030-01-07T09:00:00Z', '2030-01-07T10:00:00Z');
    const first = await cli('sync');
    expect(first.stdout).toMatch(/skipped .*has no platform user/);
    const calls = w.webMeeting.server.requests.length;
    for (let i = 0; i < 3; i += 1) expect((await cli('sync')).code).toBe(0);
    expect(w.webMeeting.server.requests.length).toBe(calls);
  });
});
