import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';

/** The `database` key pointing somewhere unusable: one plain line, exit 2, nothing changed. */
describe('meetsync CLI: the database file', () => {
  let w: CliWorld;
  beforeEach(async () => {
    w = await startCliWorld();
  });
  afterEach(async () => w.close());

  const useDatabase = (file: string) => writeFileSync(w.configPath, readFileSync(w.configPath, 'utf8').replace('database: ./data/meetsync.db', `database: ${file}`));
  // A CLI that hangs is killed, so that a hang fails the test instead of stalling the run.
  const cli = (...args: string[]) =>
    runCli(['--config', w.configPath, ...args], { cwd: w.dir, onSpawn: (child) => setTimeout(() => child.kill('SIGKILL'), 15_000).unref() });

  it('a folder path through a regular file, or under /proc: exit 2, one line in plain words', async () => {
    writeFileSync(path.join(w.dir, 'data'), 'not a folder');
    for (const command of [['sync'], ['accounts', 'create', '--email', 'a@example.com', '--first', 'A', '--last', 'B']]) {
      const r = await cli(...command);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`meetsync: cannot create the database ${w.dbPath}: a part of its folder path is a file, not a folder; check the 'database' key\n`);
    }
    useDatabase('/proc/meetsync-e2e/meetsync.db');
    const proc = await cli('sync');
    expect(proc.signal).toBeNull();
    expect(proc.code).toBe(2);
    expect(proc.stderr).toBe("meetsync: cannot create the database /proc/meetsync-e2e/meetsync.db: its folder cannot be created there; check the 'database' key\n");
    expect(w.webMeeting.server.requests).toHaveLength(0);
  });

  it('status before any sync says there is no database yet, exits 1 (no cycle has succeeded) and creates nothing', async () => {
    const r = await cli('status');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`No database yet at ${w.dbPath}: run 'meetsync sync' first.`);
    expect(r.stdout).toContain('corp-google / alice@example.com: never synced');
    expect(r.stdout).toContain('No sync cycle has succeeded yet: no calendar has been synced.');
    const json = await cli('status', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).calendars).toEqual([expect.objectContaining({ calendarId: w.calendar, consecutiveFailures: 0 })]);
    expect(existsSync(path.dirname(w.dbPath))).toBe(false);
  });

  it('a file that is not a meetsync database is refused by every command and left byte for byte', async () => {
    mkdirSync(path.dirname(w.dbPath));
    writeFileSync(w.dbPath, 'these are my notes, not a database\n');
    const before = readFileSync(w.dbPath);
    for (const command of [['status'], ['sync'], ['sync', '--dry-run'], ['organizers']]) {
      const r = await cli(...command);
      expect(r.code, command.join(' ')).toBe(2);
      expect(r.stderr).toBe(`meetsync: ${w.dbPath} is not a meetsync database (not an SQLite database file); check the 'database' key\n`);
    }
    expect(readFileSync(w.dbPath).equals(before)).toBe(true);
  });

  it('a meetsync database that lost a table is refused and left byte for byte', async () => {
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
    const db = new Database(w.dbPath);
    db.exec('DROP TABLE calendar_state');
    db.close();
    const before = readFileSync(w.dbPath);
    for (const command of [['status'], ['sync']]) {
      const r = await cli(...command);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^meetsync: the meetsync database .* is damaged: table calendar_state of schema version \d+ is missing; restore a backup\n$/);
    }
    expect(readFileSync(w.dbPath).equals(before)).toBe(true);
  });
});
