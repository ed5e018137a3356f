import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_HTML, LATEST_JSON } from '../../src/reconcile/report-files.js';
import type { ReconcileReport } from '../../src/reconcile/findings.js';
import { WebMeetingClient } from '../../src/webmeeting/client.js';
import { E2E_API_KEY, runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';

/** `meetsync reconcile` as a user runs it: a process, real https to both simulators, exit codes a scheduler reads. */
describe('meetsync reconcile', () => {
  let w: CliWorld;
  beforeEach(async () => {
    w = await startCliWorld();
  });
  afterEach(async () => w.close());

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });
  const tagged = (summary: string, day: number) =>
    w.google.userInsert(w.calendar, { summary, start: { dateTime: `2030-01-${String(day).padStart(2, '0')}T09:00:00Z` }, end: { dateTime: `2030-01-${String(day).padStart(2, '0')}T10:00:00Z` } });

  /** Two meetings made by a real sync; the second one then moved by hand on the platform. */
  async function driftedWorld(): Promise<void> {
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'Example')).code).toBe(0);
    tagged('Planning #webmeeting', 7);
    tagged('Retro <script>alert(1)</script> "quoted" 🎉 #webmeeting', 8);
    expect((await cli('sync')).code).toBe(0);
    const meeting = w.webMeeting.meetings().find((m) => m.topic.startsWith('Retro'))!;
    const person = new WebMeetingClient({ baseUrl: w.webMeeting.url, apiKey: E2E_API_KEY });
    await person.updateMeeting(meeting.addedByUserId, meeting.id, {
      topic: meeting.topic, startTime: '2030-01-08T10:00:00.000Z', endTime: '2030-01-08T11:00:00.000Z', agenda: meeting.agenda,
      type: 'standard', isRecorded: false, isDialin: false, recurrence: null,
    });
  }

  it('exits 2 on usage errors, and 1 with no database to reconcile', async () => {
    expect((await cli('reconcile', '--format', 'xml')).code).toBe(2);
    expect((await cli('reconcile', '--dry-run')).code).toBe(2);
    expect((await cli('reconcile', '--delete-orphans')).code).toBe(2);
    const none = await cli('reconcile');
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toMatch(/^meetsync: no database yet at .*meetsync\.db: run 'meetsync sync' first/);
    expect(existsSync(w.dbPath)).toBe(false);
  });

  it('reports drift with exit 3, repairs it with exit 0, then reports all in step with exit 0', async () => {
    await driftedWorld();
    const unknown = await cli('reconcile', '--organizer', 'nobody@example.com');
    expect(unknown.code).toBe(2);

    const report = await cli('reconcile');
    expect(report.code).toBe(3);
    expect(report.stdout).toMatch(/^meetsync reconciliation, \d{4}-\d\d-\d\d \d\d:\d\d UTC \(report only, nothing changed\)\n/);
    expect(report.stdout).toMatch(/\n {2}time drift {6}\d{4}-\d{4}-\d{4}-\d{4} {2}Retro <script>alert\(1\)<\/scr… {2}the platform has 2030-01-08 10:00-11:00 UTC, the event 2030-01-08 09:00-10:00 UTC \(the platform is 1 h later\)\n/);
    expect(report.stdout).toMatch(/\nSummary: 1 in step, 1 time drift -> 1 needs attention\n$/);

    const json = await cli('reconcile', '--json');
    expect(json.code).toBe(3);
    const parsed = JSON.parse(json.stdout) as ReconcileReport;
    expect(parsed).toMatchObject({ version: 1, mode: 'report', summary: { 'time-drift': 1, 'in-step': 1, open: 1 } });
    // Issue 20: the finding names the command that tells its event's story, and that command tells it.
    const drift = parsed.findings.find((f) => f.kind === 'time-drift')!;
    expect(drift.explain).toBe(`meetsync explain ${drift.event!.eventId}`);
    expect(report.stdout.split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^ {72}why: meetsync explain ${drift.event!.eventId}$`)));
    const story = await cli(...drift.explain!.split(' ').slice(1));
    expect(story.code).toBe(0);
    expect(story.stdout).toMatch(/POST \/meeting OK.*: meeting \d{4}-\d{4}-\d{4}-\d{4} made/);

    const dry = await cli('reconcile', '--repair', '--dry-run');
    expect(dry.code).toBe(3);
    expect(dry.stdout).toContain('repair: would - would update the meeting from the event');
    expect(w.webMeeting.server.received('PUT')).toHaveLength(1);

    const repaired = await cli('reconcile', '--repair');
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain('repair: done - updated from the event');
    expect(repaired.stdout).toMatch(/Summary: 1 in step, 1 time drift; 1 repaired -> all in step\n$/);
    expect(repaired.stderr).toMatch(/reconciliation repair: updated from the event/);
    expect(w.webMeeting.meetings().find((m) => m.topic.startsWith('Retro'))?.startTime).toBe('2030-01-08T09:00:00.000Z');

    const again = await cli('reconcile');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Summary: 2 in step -> all in step\n$/);
  });

  it('exits 1 when the platform refuses meetsync itself (the reconciliation failed), naming no secret', async () => {
    await driftedWorld();
    process.env.TEST_WM_KEY = 'wrong-key-0000000000';
    const r = await cli('reconcile', '--repair');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^meetsync: the Web Meeting platform refused meetsync's API key \(GET \/api\/v6\/account\/admin\/[0-9a-f]{24} failed, HTTP 401, responseCode -1: API key not valid\)/m);
    expect(r.stderr).not.toContain('wrong-key-0000000000');
    expect(w.webMeeting.server.received('PUT')).toHaveLength(1);
  });

  it('--output writes the report (mode 0600) in each format; no token or feed URL in any of them', async () => {
    await driftedWorld();
    const token = w.webMeeting.users()[0]!.icsToken;
    for (const format of ['text', 'json', 'csv', 'html']) {
      const file = path.join(w.dir, `report.${format}`);
      const r = await cli('reconcile', '--format', format, '--output', file);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe(`Report written to ${file}. Summary: 1 in step, 1 time drift -> 1 needs attention\n`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const content = readFileSync(file, 'utf8');
      expect(content).not.toContain(token);
      expect(content).not.toContain('/calender/user/');
      expect(r.stderr).not.toContain(token);
    }
    expect(readFileSync(path.join(w.dir, 'report.csv'), 'utf8')).toMatch(/^\uFEFForganizer,kind,/);
    expect(readFileSync(path.join(w.dir, 'report.html'), 'utf8')).toContain('Retro &lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; 🎉');
  });

  it('the daemon reconciles on its schedule, inside the cycle lock, and keeps the latest report beside the database', async () => {
    await driftedWorld();
    appendFileSync(w.configPath, 'reconcile:\n  schedule: "*/2 * * * * *"\n');
    const dir = path.dirname(w.dbPath);
    const r = await runCli(['--config', w.configPath, 'run'], {
      cwd: w.dir,
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if (existsSync(path.join(dir, LATEST_HTML))) {
            clearInterval(timer);
            setTimeout(() => child.kill('SIGTERM'), 100);
          }
        }, 50);
      },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('reconciliation report written');
    const latest = JSON.parse(readFileSync(path.join(dir, LATEST_JSON), 'utf8')) as ReconcileReport;
    expect(latest.summary).toMatchObject({ 'time-drift': 1, open: 1 });
    for (const file of [LATEST_JSON, LATEST_HTML]) expect(statSync(path.join(dir, file)).mode & 0o777).toBe(0o600);
    // Nothing was repaired by the daemon: the platform still has the hand-moved time.
    expect(w.webMeeting.meetings().find((m) => m.topic.startsWith('Retro'))?.startTime).toBe('2030-01-08T10:00:00.000Z');
  });
});
