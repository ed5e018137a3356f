import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';

/**
 * Issue 15, finding 2: a calendar is known by provider, tenant and its normalised id, not by the
 * config's source name. Renaming a source, or writing a Google calendar id in another case, gave
 * every event a second meeting (and rewrote every Outlook event, mailing its attendees), and
 * `reconcile` said all was in step. A calendar taken out of the config is dormant: its meetings
 * are left alone, and `status` says so without calling it a problem.
 */
describe('meetsync CLI: a calendar keeps its meetings whatever the config calls it', () => {
  let w: CliWorld;
  beforeEach(async () => {
    w = await startCliWorld({ outlook: true });
  });
  afterEach(async () => w.close());

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });
  const editConfig = (edit: (text: string) => string) => {
    const before = readFileSync(w.configPath, 'utf8');
    const after = edit(before);
    expect(after).not.toBe(before);
    writeFileSync(w.configPath, after);
  };
  const graphWrites = () => w.graph!.server.requests.filter((r) => r.path.startsWith('/v1.0/') && r.method !== 'GET');
  const googleWrites = () => w.google.server.requests.filter((r) => r.method !== 'GET' && r.path.includes('/events'));

  /** Alice's Google event and Bob's Outlook event, each with its meeting and its join link written. */
  async function syncedWorld(): Promise<void> {
    for (const [email, first] of [[w.calendar, 'Alice'], [w.mailbox!, 'Bob']] as const) {
      expect((await cli('accounts', 'create', '--email', email, '--first', first, '--last', 'Example')).code).toBe(0);
    }
    w.google.userInsert(w.calendar, { summary: 'Planning #webmeeting', start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } });
    w.graph!.userInsert(w.mailbox!, {
      subject: 'Budget review',
      categories: ['Web Meeting'],
      body: { contentType: 'html', content: '<html><body><p>Agenda</p></body></html>' },
      start: { dateTime: '2030-01-08T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2030-01-08T10:00:00', timeZone: 'UTC' },
      attendees: [{ emailAddress: { address: 'carol@partner.example' } }],
    });
    const first = await cli('sync', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: 2, failed: 0 });
    expect(graphWrites()).toHaveLength(1);
    expect(googleWrites()).toHaveLength(1);
  }

  /** A sync after the config changed: nothing new on the platform, no event written, reconcile clean. */
  async function expectNothingChanges(): Promise<void> {
    const meetings = w.webMeeting.meetings().map((m) => m.id).sort();
    const sync = await cli('sync', '--json');
    expect(sync.code, sync.stderr).toBe(0);
    expect(JSON.parse(sync.stdout)).toMatchObject({ created: 0, adopted: 0, updated: 0, cancelled: 0, failed: 0 });
    expect(w.webMeeting.meetings().map((m) => m.id).sort()).toEqual(meetings);
    expect(graphWrites()).toHaveLength(1);
    expect(googleWrites()).toHaveLength(1);
    const reconcile = await cli('reconcile', '--format', 'json');
    expect(reconcile.code, reconcile.stdout).toBe(0);
    expect(JSON.parse(reconcile.stdout)).toMatchObject({ summary: { open: 0, duplicate: 0, orphan: 0 } });
  }

  it('renaming a Google and an Outlook source keeps every meeting: no second one, no event rewritten, reconcile clean', async () => {
    await syncedWorld();
    editConfig((t) => t.replace('name: corp-google', 'name: google-renamed').replace('name: corp-m365', 'name: m365-renamed'));

    await expectNothingChanges();

    const status = await cli('status');
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout).toContain(`google-renamed / ${w.calendar}: ok`);
    expect(status.stdout).toContain(`m365-renamed / ${w.mailbox!}: ok`);
    expect(status.stdout.split(`m365-renamed / ${w.mailbox!}`)[1]).toMatch(/meetings: 1 active/);
    expect(status.stdout).not.toMatch(/corp-google|corp-m365|dormant/);
  });

  it("changing the case of a Google calendar id changes nothing", async () => {
    await syncedWorld();
    editConfig((t) => t.replace(`calendars: [${w.calendar}]`, 'calendars: [Alice@Example.COM]'));

    await expectNothingChanges();

    const status = await cli('status');
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout).toContain('corp-google / Alice@Example.COM: ok');
    expect(status.stdout.split('corp-google / Alice@Example.COM')[1]).toMatch(/meetings: 1 active/);
    expect(status.stdout).not.toContain('dormant');
  });

  it('a calendar taken out of the config is dormant: its meeting stays, status says so and is not alarmed', async () => {
    await syncedWorld();
    editConfig((t) => t.slice(0, t.indexOf('  - name: corp-m365')));

    await expectNothingChanges();

    const status = await cli('status', '--json');
    expect(status.code, status.stdout).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.calendars).toEqual([expect.objectContaining({ source: 'corp-google', calendarId: w.calendar })]);
    expect(report.dormant).toEqual([{ source: 'corp-m365', calendarId: w.mailbox!, meetings: { creating: 0, active: 1, cancelled: 0, kept: 0 } }]);
    expect(report.problems).toEqual([]);
    const text = await cli('status');
    expect(text.stdout).toContain(`corp-m365 / ${w.mailbox!}: dormant, no longer in the config; 1 meeting(s) left as they are`);
    expect(w.webMeeting.meetings().map((m) => m.topic).sort()).toEqual(['Budget review', 'Planning']);
  });
});
