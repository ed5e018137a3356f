import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What the CLI prints for a person at a terminal. */
describe('meetsync CLI: printed output', () => {
  let w: CliWorld;
  beforeEach(async () => {
    w = await startCliWorld();
  });
  afterEach(async () => w.close());

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });
  const at = (day: number) => ({ start: { dateTime: `2030-01-0${day}T09:00:00Z` }, end: { dateTime: `2030-01-0${day}T10:00:00Z` } });

  it('a dry run says what it would do in plain words and only counts unchanged events', async () => {
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    const kept = w.google.userInsert(w.calendar, { summary: 'Kept #webmeeting', ...at(7) });
    const moved = w.google.userInsert(w.calendar, { summary: 'Moved #webmeeting', ...at(8) });
    const dropped = w.google.userInsert(w.calendar, { summary: 'Dropped #webmeeting', ...at(9) });
    expect((await cli('sync')).code).toBe(0);
    // A change meetsync does not act on (the description), a move, a cancellation, a new event, and an all-day one.
    w.google.userPatch(w.calendar, kept.id, { description: 'agenda: see doc' });
    w.google.userPatch(w.calendar, moved.id, at(6));
    w.google.userDelete(w.calendar, dropped.id);
    w.google.userInsert(w.calendar, { summary: 'New #webmeeting', ...at(5) });
    w.google.userInsert(w.calendar, { summary: 'Offsite #webmeeting', start: { date: '2030-01-04' }, end: { date: '2030-01-05' } });

    const dry = await cli('sync', '--dry-run');
    expect(dry.code).toBe(0);
    const lines = dry.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Dry run: nothing was written to the platform, the calendars or the database.');
    expect(lines.slice(1, -1).map((l) => l.trim().split(/\s{2,}|\s—\s/)[0]).sort()).toEqual(['would cancel', 'would create', 'would skip', 'would update']);
    expect(dry.stdout).toMatch(/^ {2}would create {3}New #webmeeting — New 2030-01-05T09:00:00.000Z$/m);
    expect(dry.stdout).toMatch(/^ {2}would update {3}Moved #webmeeting — changed: start, end$/m);
    expect(dry.stdout).toMatch(new RegExp(`^ {2}would cancel {3}${dropped.id} — delete meeting: `, 'm'));
    expect(dry.stdout).not.toMatch(/would unchanged|Kept/);
    expect(lines.at(-1)).toBe('Would have: 1 created, 1 updated, 1 cancelled, 0 adopted, 1 skipped, 0 failed, 1 unchanged');
  });

  it('an invitation title with terminal escape sequences reaches the terminal without them', async () => {
    const evil = '\u001b]0;pwned\u0007Evil \u001b[31mred\u009b2J\r\u007f #webmeeting';
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    w.google.userInsert(w.calendar, { summary: evil, ...at(7) });
    // All-day: skipped with a note, so that `status` lists the title too.
    w.google.userInsert(w.calendar, { summary: evil, start: { date: '2030-01-04' }, end: { date: '2030-01-05' } });
    const runs = {
      dry: await cli('sync', '--dry-run'),
      sync: await cli('sync'),
      status: await cli('status'),
      statusJson: await cli('status', '--json'),
      syncJson: await cli('sync', '--json'),
    };
    expect(runs.sync.stdout).toMatch(/^ {2}created {3}Evil red #webmeeting \[\d{4}-/m);
    expect(runs.sync.stdout).toMatch(/^ {2}skipped {3}Evil red #webmeeting — all-day/m);
    expect(runs.dry.stdout).toContain('would create   Evil red #webmeeting');
    expect(runs.status.stdout).toContain('[skipped] Evil red #webmeeting (2030-01-04');
    // JSON output keeps the title whole, every control character written as a \u escape.
    expect(JSON.parse(runs.statusJson.stdout).problems[0].title).toBe(evil);
    for (const [name, r] of Object.entries(runs)) {
      expect(r.stdout + r.stderr, name).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    }
  });

  it('a line break in a title cannot forge a line of sync, dry-run or status output', async () => {
    const forged = "skipped: Bob's 1:1 (no organizer)";
    const title = `Standup #webmeeting\n${forged}\r\n\u2028${forged}`;
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    w.google.userInsert(w.calendar, { summary: title, ...at(7) });
    // All-day: skipped with a note, so that `status` lists the title too.
    w.google.userInsert(w.calendar, { summary: title, start: { date: '2030-01-04' }, end: { date: '2030-01-05' } });
    const runs = { dry: await cli('sync', '--dry-run'), sync: await cli('sync'), status: await cli('status') };
    const shown = `Standup #webmeeting\\n${forged}\\n\\n${forged}`;
    expect(runs.dry.stdout).toContain(`would create   ${shown} — `);
    expect(runs.dry.stdout).toContain(`would skip     ${shown} — all-day`);
    expect(runs.sync.stdout).toMatch(new RegExp(`^ {2}created {3}${escapeRegExp(shown)} \\[\\d{4}-`, 'm'));
    expect(runs.status.stdout).toContain(`[skipped] ${shown} (2030-01-04`);
    for (const [name, r] of Object.entries(runs)) {
      // Every line is one meetsync wrote: none starts with the text after a line break in the title.
      expect(r.stdout.split('\n').filter((line) => line.trimStart().startsWith(forged)), name).toEqual([]);
      expect(r.stdout, name).not.toMatch(/[\r\u0085\u2028\u2029]/);
    }
  });
});
