import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoResult } from '../../src/demo/run.js';
import { runCli, startCliWorld, type CliResult } from '../support/cli-harness.js';
import { listening } from '../support/listening.js';

/**
 * `meetsync demo` and `npm start` without a config, as a person trying meetsync runs them. The
 * simulators live inside the demo's process, so the demo writes what the platform and the
 * calendars hold at the end to demo-result.json; the test reads that and the printed table.
 */

const root = mkdtempSync(path.join(os.tmpdir(), 'meetsync-demo-test-'));
// Slow on a loaded machine (three meetsync processes in a row); seconds on an idle one.
const DEMO_TIMEOUT = 180_000;

type Meeting = { id: string; meetingId: string; topic: string; startTime: string; endTime: string; addedByUserId: string; isRecurring?: boolean };

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function readResult(stateDir: string): DemoResult {
  return JSON.parse(readFileSync(path.join(stateDir, 'demo-result.json'), 'utf8')) as DemoResult;
}

/** Processes whose command line names the folder: the demo's meetsync children would. */
function processesNaming(folder: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(folder) && !l.startsWith('ps '));
}

async function expectNothingLeft(result: DemoResult): Promise<void> {
  for (const url of Object.values(result.simulators)) expect(await listening(url), `${url} still answers`).toBe(false);
  expect(processesNaming(result.stateDir)).toEqual([]);
}

function checkPlatform(result: DemoResult): void {
  const meetings = result.platform.meetings as unknown as Meeting[];
  const users = result.platform.users as Array<{ id: string; email: string }>;
  const emailOf = (m: Meeting) => users.find((u) => u.id === m.addedByUserId)?.email;
  const event = (key: string) => result.events.find((e) => e.key === key && !e.guestCopy)!;
  const change = (key: string) => result.changes.find((c) => c.key === key)!;
  const first = result.cycles[0]!;
  const numberOf = (key: string) => first.outcomes.find((o) => o.eventId === event(key).eventId && o.calendarId === event(key).calendarId)?.meetingNumber;
  /** The event as its calendar holds it at the end. */
  const final = (key: string) => JSON.stringify((result.calendars[event(key).calendarId] as Array<{ id: string }>).find((e) => e.id === event(key).eventId));

  // Every tagged event of an organizer with a platform user got exactly one meeting, and its join
  // link was written into the event; the cancelled one's meeting is gone.
  const served = ['team-sync', 'planning', 'budget', 'hiring', 'globex'];
  for (const key of served) expect(numberOf(key), key).toMatch(/^\d{4}-\d{4}-\d{4}-\d{4}$/);
  expect(new Set(served.map(numberOf)).size).toBe(served.length);
  const live = served.filter((k) => k !== 'hiring');
  expect(meetings.map((m) => m.meetingId).sort()).toEqual(live.map(numberOf).sort());
  for (const key of live) expect(final(key)).toContain(`/meeting/${numberOf(key)}`);

  // None for untagged events, the all-day event, Dave (no platform user) or Dave's guest copy.
  expect(meetings.map(emailOf).sort()).toEqual(['alice@acme.example', 'alice@acme.example', 'bob@acme.example', 'carol@acme.example']);
  const topics = meetings.map((m) => m.topic);
  for (const t of ['Lunch with Dave', 'Dentist', 'Vendor demo', 'Company offsite']) expect(topics).not.toContain(t);
  const skipped = first.outcomes.filter((o) => o.outcome === 'skipped');
  expect(skipped.find((o) => o.calendarId === 'dave@acme.example' && o.eventId === event('vendor-demo').eventId)?.reason).toMatch(/organizer dave@acme\.example has no platform user/);
  expect(first).toMatchObject({ created: 5, skipped: 3, failed: 0 });

  const byNumber = (key: string) => meetings.find((m) => m.meetingId === numberOf(key))!;
  expect(byNumber('team-sync').isRecurring).toBe(true);
  // Moved: the meeting has the new time. Renamed: the new topic. Cancelled: gone (above).
  expect(Date.parse(byNumber('budget').startTime)).toBe(Date.parse(change('budget').start!));
  expect(Date.parse(byNumber('budget').endTime)).toBe(Date.parse(change('budget').end!));
  expect(byNumber('planning').topic).toBe('Quarterly planning FY27');
  expect(result.cycles[1]).toMatchObject({ updated: 2, cancelled: 1, created: 0, failed: 0 });

  const html = readFileSync(result.reportPath, 'utf8');
  expect(html).toMatch(/^<!doctype html>/i);
  for (const who of ['alice@acme.example', 'bob@acme.example', 'carol@acme.example']) expect(html).toContain(who);
  expect(result.reconcile.exitCode).toBe(0);
}

// Nothing to stop here: each test checks that the demo stopped everything itself.
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('meetsync demo', () => {
  it('syncs a made-up company, changes it, syncs again, reconciles, prints what it did, and leaves nothing running', async () => {
    const stateDir = path.join(root, 'state');
    const run = await runCli(['demo', '--state-dir', stateDir], { cwd: root });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = readResult(stateDir);
    checkPlatform(result);
    await expectNothingLeft(result);

    // The table: each created meeting with its join link, the reasons for the skipped ones,
    // the PUTs and the DELETE of the second cycle, where the report is, what to do next.
    const out = run.stdout;
    for (const o of result.cycles[0]!.outcomes.filter((x) => x.outcome === 'created')) {
      expect(out).toMatch(new RegExp(`${o.meetingNumber}\\s+${escape(result.simulators.webMeeting)}/meeting/${o.meetingNumber}`));
    }
    expect(out).toMatch(/Lunch with Dave .*not tagged: left alone/);
    expect(out).toMatch(/Vendor demo #webmeeting .*skipped: organizer dave@acme\.example has no/);
    expect(out).toMatch(/Company offsite #webmeeting .*skipped: all-day event/);
    expect(out).toMatch(/updated\s+Budget review\s+\S+\s+start, end changed\s+PUT \/api\/v6\/meeting\/[0-9a-f]{24}\/false/);
    expect(out).toMatch(/updated\s+Quarterly planning FY27\s+\S+\s+topic changed\s+PUT /);
    expect(out).toMatch(/cancelled\s+Hiring sync\s+.*DELETE \/api\/v6\/meeting\/[0-9a-f]{24}$/m);
    expect(out).toContain(`Report: ${result.reportPath}`);
    // It ends by explaining the cancelled event: the DELETE it got, and why.
    expect(out).toContain(`5. Why? (meetsync explain ${result.explained.eventId})`);
    expect(result.explained.exitCode).toBe(0);
    expect(out).toMatch(/ {2}decision {3}wants no meeting: the event was cancelled or deleted: its meeting is deleted/);
    expect(out).toMatch(/ {4}\S+ \S+Z {2}POST \/meeting OK.*: meeting \d{4}-\d{4}-\d{4}-\d{4} made/);
    expect(out).toMatch(/ {4}\S+ \S+Z {2}DELETE \/meeting OK.*deleted/);
    expect(out).toContain('npx meetsync doctor');
    // No log lines among what the person reads: meetsync's own log went to the file.
    expect(out.split('\n').filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    expect(readFileSync(result.logPath, 'utf8')).toContain('"msg":"meeting created"');
  }, DEMO_TIMEOUT);

  it("is what 'npm start' runs in a folder without a config: one line says so, then the demo runs and stops", async () => {
    const empty = path.join(root, 'empty');
    const tmp = path.join(root, 'tmp');
    mkdirSync(empty);
    mkdirSync(tmp);
    // package.json's start script; TMPDIR keeps the demo's folder inside this test's.
    const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: { start: string } };
    expect(pkg.scripts.start).toBe('node dist/src/bin.js start');
    const run = await runCli(['start'], { cwd: empty, env: { TMPDIR: tmp } });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(/^No config found .*running the demo/);
    const stateDir = /Everything is kept in (\S+)/.exec(run.stdout)?.[1];
    expect(stateDir?.startsWith(path.join(tmp, 'meetsync-demo-'))).toBe(true);
    const result = readResult(stateDir!);
    checkPlatform(result);
    await expectNothingLeft(result);
    expect(existsSync(path.join(empty, 'meetsync.yaml'))).toBe(false);
  }, DEMO_TIMEOUT);
});

describe('meetsync start and run with and without a config', () => {
  it('start with ./meetsync.yaml runs the service (as run): it syncs, and SIGTERM ends it with exit 0', async () => {
    const w = await startCliWorld();
    try {
      const created = await runCli(['--config', w.configPath, 'accounts', 'create', '--email', w.calendar, '--first', 'Alice', '--last', 'A'], { cwd: w.dir });
      expect(created.code).toBe(0);
      w.google.userInsert(w.calendar, { summary: 'Planning #webmeeting', start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } });
      let child: ChildProcess | undefined;
      // No --config: the config is ./meetsync.yaml of the working folder.
      const running = runCli(['start'], { cwd: w.dir, onSpawn: (c) => (child = c) });
      const deadline = Date.now() + 60_000;
      while (w.webMeeting.meetings().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      child!.kill('SIGTERM');
      const result: CliResult = await running;

      expect(w.webMeeting.meetings().map((m) => m.topic)).toEqual(['Planning']);
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain('demo');
      expect(result.stderr).toContain('sync cycle finished');
    } finally {
      await w.close();
    }
  }, 90_000);

  it('without a config, run still fails with the config error; start with a missing --config does too, and runs no demo', async () => {
    const empty = mkdtempSync(path.join(root, 'noconfig-'));
    const run = await runCli(['run'], { cwd: empty });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`config error: config file ${path.join(empty, 'meetsync.yaml')} not found`);

    const named = await runCli(['start', '--config', 'missing.yaml'], { cwd: empty });
    expect(named.code).toBe(2);
    expect(named.stderr).toContain(`config file ${path.join(empty, 'missing.yaml')} not found`);
    expect(named.stdout).toBe('');
    const fromEnv = await runCli(['start'], { cwd: empty, env: { MEETSYNC_CONFIG: 'elsewhere.yaml' } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stdout).toBe('');

    // The demo starts from nothing: a folder with something in it is refused, in one line.
    const taken = await runCli(['demo', '--state-dir', root], { cwd: empty });
    expect(taken.code).toBe(2);
    expect(taken.stderr).toBe(`meetsync: --state-dir ${root}: not empty; give a new or empty folder (the demo starts from nothing)\n`);
  });
});
