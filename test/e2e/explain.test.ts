import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';

/**
 * Issue 20 as IT meets it: "why has my event no link?" answered by `meetsync explain`, the
 * command run as a separate process against the simulators, after real sync cycles.
 */
describe('meetsync explain', () => {
  let w: CliWorld;
  beforeEach(async () => {
    w = await startCliWorld();
  });
  afterEach(async () => w.close());

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });
  const tagged = (summary = 'Planning #webmeeting', start = '2030-01-07T09:00:00Z', end = '2030-01-07T10:00:00Z') =>
    w.google.userInsert(w.calendar, { summary, start: { dateTime: start, timeZone: 'UTC' }, end: { dateTime: end, timeZone: 'UTC' } });
  const move = (id: string, start: string, end: string) =>
    w.google.userPatch(w.calendar, id, { start: { dateTime: start, timeZone: 'UTC' }, end: { dateTime: end, timeZone: 'UTC' } });
  const withAlice = async () => expect((await cli('accounts', 'create', '--email', w.calendar, '--first', 'Alice', '--last', 'Example')).code).toBe(0);
  const meetingPosts = () => w.webMeeting.server.received('POST', '/api/v6/meeting');
  const journalLines = (stdout: string) => stdout.slice(stdout.indexOf('Journal')).split('\n').slice(1).filter((l) => /^\s+\d{4}-/.test(l));

  it('tells how an event got its meeting: the read, the POST with its number and the write-back, found by id, number and title', async () => {
    await withAlice();
    const event = tagged();
    expect((await cli('sync')).code).toBe(0);
    const number = w.webMeeting.meetings()[0]!.meetingId;

    const byId = await cli('explain', event.id!);
    expect(byId.code, byId.stderr).toBe(0);
    expect(byId.stdout).toMatch(/^"Planning #webmeeting"\n/);
    expect(byId.stdout).toMatch(/as read +2030-01-07 09:00:00Z to 2030-01-07 10:00:00Z, tagged by #webmeeting in the title, organizer alice@example.com/);
    expect(byId.stdout).toMatch(/decision +wants a meeting: tagged, the organizer's copy/);
    expect(byId.stdout).toMatch(/organizer +alice@example.com \(platform user [0-9a-f]{24}\): platform user of account [0-9a-f]{24}, which webMeeting.accountIds does not list/);
    expect(byId.stdout).toContain(`meeting    ${number}, join ${w.webMeeting.url}/meeting/${number}, "Planning"`);
    expect(byId.stdout).toMatch(/in step +yes/);
    const journal = journalLines(byId.stdout);
    expect(journal).toHaveLength(3);
    expect(journal[0]).toMatch(/read "Planning #webmeeting" .*: wants a meeting \(create\)/);
    expect(journal[1]).toMatch(new RegExp(`POST /meeting OK.*: meeting ${number} made`));
    expect(journal[2]).toMatch(new RegExp(`write-back OK.*meeting number ${number} written into the event`));
    expect(byId.stdout).toMatch(/Next:\n {2}nothing until the event changes/);

    const byNumber = await cli('explain', number);
    expect(byNumber.code).toBe(0);
    expect(byNumber.stdout).toBe(byId.stdout);
    const byTitle = await cli('explain', 'PLANNING');
    expect(byTitle.code).toBe(0);
    expect(byTitle.stdout).toContain(`corp-google / alice@example.com / ${event.id}`);

    const json = JSON.parse((await cli('explain', number, '--json')).stdout);
    expect(json).toMatchObject({ eventId: event.id, meeting: { meetingNumber: number, inStep: true }, decision: { wantsMeeting: true } });
    expect(json.journal.map((e: { what: string; outcome: string }) => `${e.what} ${e.outcome}`)).toEqual(['wants a meeting create', 'POST /meeting ok', 'write-back ok']);
    // Nothing of the platform's key is told anywhere.
    expect(byId.stdout + JSON.stringify(json)).not.toContain(process.env.TEST_WM_KEY!);

    // Quiet cycles read the calendar without returning the event: the story says it was read as
    // shown, and that its calendar was read since with no change to it (not a stale "last read").
    expect((await cli('sync')).code).toBe(0);
    expect((await cli('sync')).code).toBe(0);
    const later = await cli('explain', number);
    expect(later.stdout).toMatch(/as read +2030-01-07 09:00:00Z to .* \(read [^;]+; its calendar read since, last [^,]+, with no change to it\)/);
    expect(JSON.parse((await cli('explain', number, '--json')).stdout).event.calendarReadAt).toEqual(expect.any(String));
  });

  it('says why an organizer without a platform user has no meeting, and what IT must do', async () => {
    tagged('Budget review #webmeeting');
    expect((await cli('sync')).code).toBe(0);
    const r = await cli('explain', 'budget', 'review');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/decision +wants no meeting: organizer alice@example.com has no platform user in any configured account/);
    expect(r.stdout).toMatch(/organizer +alice@example.com: not found on the platform: no admin of any account \(webMeeting.accountIds is empty\) has the email alice@example.com/);
    expect(r.stdout).toMatch(/meeting +none/);
    expect(r.stdout).toMatch(/Next:\n {2}IT must act: organizer alice@example.com has no platform user .*create one with 'meetsync accounts create --email alice@example.com/);
    expect(meetingPosts()).toHaveLength(0);
  });

  it('shows an event moved twice with both PUTs and the times each sent', async () => {
    await withAlice();
    const event = tagged();
    expect((await cli('sync')).code).toBe(0);
    move(event.id!, '2030-01-07T13:00:00Z', '2030-01-07T14:00:00Z');
    expect((await cli('sync')).code).toBe(0);
    move(event.id!, '2030-01-08T08:00:00Z', '2030-01-08T09:30:00Z');
    expect((await cli('sync')).code).toBe(0);
    expect(w.webMeeting.server.received('PUT')).toHaveLength(2);

    const r = await cli('explain', event.id!);
    expect(r.code).toBe(0);
    const puts = journalLines(r.stdout).filter((l) => l.includes('PUT /meeting'));
    expect(puts).toHaveLength(2);
    expect(puts[0]).toMatch(/PUT \/meeting OK.*now "Planning" 2030-01-07T13:00:00.000Z to 2030-01-07T14:00:00.000Z/);
    expect(puts[1]).toMatch(/PUT \/meeting OK.*now "Planning" 2030-01-08T08:00:00.000Z to 2030-01-08T09:30:00.000Z/);
    expect(r.stdout).toMatch(/as read +2030-01-08 08:00:00Z to 2030-01-08 09:30:00Z/);
    expect(r.stdout).toMatch(/in step +yes/);
  });

  it('shows a creation whose answer was lost: the unconfirmed POST, then the feed check that resolved it, one meeting', async () => {
    await withAlice();
    const event = tagged();
    w.webMeeting.server.inject({ kind: 'lose-answer', method: 'POST', pathIncludes: '/api/v6/meeting' });
    await cli('sync');
    const during = await cli('explain', event.id!);
    expect(during.code).toBe(0);
    expect(journalLines(during.stdout).at(-1)).toMatch(/POST \/meeting UNCONFIRMED.*: no answer .*whether the meeting was made is confirmed from the organizer's meeting feed/);
    expect(during.stdout).toMatch(/in step +no: being created: the answer to its POST is not confirmed yet/);
    expect(during.stdout).toMatch(/Next:\n {2}.*next try: next cycle/);

    expect((await cli('sync')).code).toBe(0);
    expect(meetingPosts()).toHaveLength(1);
    const number = w.webMeeting.meetings()[0]!.meetingId;
    const after = await cli('explain', event.id!);
    const lines = journalLines(after.stdout);
    const unconfirmed = lines.findIndex((l) => /POST \/meeting UNCONFIRMED/.test(l));
    const found = lines.findIndex((l) => new RegExp(`feed check FOUND.*meeting ${number} found in alice@example.com's meeting feed by meetsync's reference.*adopted, nothing posted again`).test(l));
    expect(unconfirmed).toBeGreaterThanOrEqual(0);
    expect(found).toBeGreaterThan(unconfirmed);
    expect(lines.slice(found)).toEqual(expect.arrayContaining([expect.stringMatching(/write-back OK/)]));
    expect(after.stdout).toMatch(/in step +yes/);
  });

  it('lists several matches to choose from, and exits 1 when nothing matches', async () => {
    await withAlice();
    const a = tagged('Planning A #webmeeting');
    const b = tagged('Planning B #webmeeting', '2030-01-09T09:00:00Z', '2030-01-09T10:00:00Z');
    tagged('Retro #webmeeting', '2030-01-10T09:00:00Z', '2030-01-10T10:00:00Z');
    expect((await cli('sync')).code).toBe(0);

    const several = await cli('explain', 'planning');
    expect(several.code).toBe(0);
    expect(several.stdout).toMatch(/^2 events match "planning"; explain one by its event id:/);
    expect(several.stdout).toContain(`meetsync explain ${a.id}`);
    expect(several.stdout).toContain(`meetsync explain ${b.id}`);
    expect(several.stdout).not.toContain('Retro');

    const none = await cli('explain', 'standup');
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/^meetsync: no event matches "standup": give an event id, a meeting number/);
    expect((await cli('explain', '9999-9999-9999-9999')).code).toBe(1);
    expect((await cli('explain')).code).toBe(2);
  });
});
