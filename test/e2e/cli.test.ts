import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withCycleLock } from '../../src/store/lock.js';
import { E2E_API_KEY, OAUTH, runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';

/** The `meetsync` command as a user runs it: a separate process, real HTTPS to the simulators. */
describe('meetsync CLI', () => {
  let w: CliWorld;
  beforeEach(async () => {
    w = await startCliWorld();
  });
  afterEach(async () => w.close());

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });
  const tagged = (summary = 'Planning #webmeeting', start = '2030-01-07T09:00:00Z', end = '2030-01-07T10:00:00Z') =>
    w.google.userInsert(w.calendar, { summary, start: { dateTime: start, timeZone: 'Europe/Berlin' }, end: { dateTime: end, timeZone: 'Europe/Berlin' } });
  const meetingPosts = () => w.webMeeting.server.received('POST', '/api/v6/meeting');

  it('reports every config problem with its key path, exit 2, no stack, nothing created', async () => {
    writeFileSync(w.configPath, 'webMeeting:\n  baseUrl: nope\nsources:\n  - name: x\n    kind: outlook\n    mailboxes: [a@example.com]\n    auth: { clientId: c, clientSecret: s }\n');
    const r = await cli('sync');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('meetsync: config error:');
    expect(r.stderr).toContain('  webMeeting.apiKey: required');
    expect(r.stderr).toContain('  webMeeting.baseUrl: must be a URL');
    expect(r.stderr).toContain('  sources[0].auth.tenantId: required');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(w.dbPath)).toBe(false);
  });

  it("refuses a Google source's sendUpdates outside all, externalOnly, none in one line, exit 2", async () => {
    const text = readFileSync(w.configPath, 'utf8');
    expect(text).toMatch(/kind: google\n/);
    writeFileSync(w.configPath, text.replace(/kind: google\n/, 'kind: google\n    sendUpdates: everyone\n'));
    const r = await cli('sync');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('  sources[0].sendUpdates: must be one of: all, externalOnly, none');
    expect(r.stderr.trim().split('\n').filter((line) => line.includes('sendUpdates'))).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(w.dbPath)).toBe(false);
  });

  it('answers a usage error with exit 2 and --help with exit 0', async () => {
    expect((await cli('frobnicate')).code).toBe(2);
    const help = await cli('sync', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dry-run');
  });

  it('creates an account and lists its organizer', async () => {
    const r = await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'Example');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Created account [0-9a-f]{24} with organizer alice@example.com/);
    const list = await cli('organizers', '--json');
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ email: 'alice@example.com', firstName: 'Alice' })]);
    const again = await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'Example');
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe('meetsync: POST /api/v6/account failed, HTTP 200, responseCode -10: account already exists');
  });

  it('says so in one line when the API key is wrong, never printing it, and stores nothing', async () => {
    process.env.TEST_WM_KEY = 'wrong-key-0000000000';
    const r = await cli('accounts', 'create', '--email', 'bob@example.com', '--first', 'Bob', '--last', 'B');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/HTTP 401, responseCode -1/);
    expect(r.stderr + r.stdout).not.toContain('wrong-key-0000000000');
    const db = new Database(w.dbPath, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM organizers').pluck().get()).toBe(0);
    db.close();
  });

  it('says so in one line when the platform answers malformed data, and stores nothing', async () => {
    const created = await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'Example');
    expect(created.code).toBe(0);
    const dbBefore = readFileSync(w.dbPath);
    w.webMeeting.server.inject({ kind: 'status', status: 200, method: 'GET', pathIncludes: '/account/admin/', body: { responseCode: 0, data: [{ email: 'alice@example.com', id: 'not-an-id' }] } });
    const r = await cli('organizers', '--refresh');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^meetsync: .*malformed response, data\[0\]\.\w+/);
    expect(readFileSync(w.dbPath).equals(dbBefore)).toBe(true);
  });

  it('says so in one line when the connection drops, and stores nothing', async () => {
    w.webMeeting.server.inject({ kind: 'drop', method: 'POST', pathIncludes: '/api/v6/account' });
    const r = await cli('accounts', 'create', '--email', 'bob@example.com', '--first', 'Bob', '--last', 'B');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^meetsync: .*(connection|socket|network)/i);
    expect(w.webMeeting.server.received('POST', '/api/v6/account')).toHaveLength(1);
    const db = new Database(w.dbPath, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM organizers').pluck().get()).toBe(0);
    db.close();
  });

  it('syncs: a dry run writes nothing anywhere, then a real cycle creates and writes back once', async () => {
    await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'Example');
    const event = tagged();
    const dbBefore = readFileSync(w.dbPath);
    const dry = await cli('sync', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would create');
    expect(meetingPosts()).toHaveLength(0);
    expect(w.google.server.received('PATCH')).toHaveLength(0);
    expect(readFileSync(w.dbPath).equals(dbBefore)).toBe(true);

    const real = await cli('sync', '--json');
    expect(real.code).toBe(0);
    const report = JSON.parse(real.stdout);
    expect(report).toMatchObject({ created: 1, updated: 0, cancelled: 0, adopted: 0, skipped: 0, failed: 0, unchanged: 0 });
    expect(report.outcomes[0]).toMatchObject({ eventId: event.id, outcome: 'created' });
    expect(w.google.getEvent(w.calendar, event.id)?.description).toContain('Meeting number:');

    const calls = w.webMeeting.server.requests.length;
    const second = JSON.parse((await cli('sync', '--json')).stdout);
    expect(second).toMatchObject({ created: 0, updated: 0 });
    expect(w.webMeeting.server.requests.length).toBe(calls);

    const status = await cli('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('corp-google / alice@example.com: ok');
    expect(status.stdout).toContain('1 active');
  });

  it('shows the join link beside the meeting number in the outcome lines', async () => {
    await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'Example');
    const event = tagged('Join me #webmeeting');
    const r = await cli('sync');
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes('Join me')) ?? '';
    expect(line, r.stdout).toMatch(/^  created +Join me #webmeeting \[\d{4}-\d{4}-\d{4}-\d{4}, join https:\/\/\S+\]$/);
    const [, number, link] = /\[(\S+), join (\S+)\]/.exec(line)!;
    // The same number and link the event carries in its join block.
    const description = w.google.getEvent(w.calendar, event.id)?.description ?? '';
    expect(description).toContain(`Join: ${link}`);
    expect(description).toContain(`Meeting number: ${number}`);
  });

  it('reports a revoked Google credential loudly, in sync and in status', async () => {
    await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'Example');
    w.google.revokeRefreshToken(OAUTH.refreshToken);
    const r = await cli('sync');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/CREDENTIAL BROKEN corp-google\/alice@example.com: .*invalid_grant/);
    expect(r.stdout + r.stderr).not.toContain(OAUTH.refreshToken);
    const status = await cli('status', '--json');
    expect(status.code).toBe(1);
    const calendar = JSON.parse(status.stdout).calendars[0];
    expect(calendar).toMatchObject({ consecutiveFailures: 1 });
    expect(calendar.lastError).toMatch(/invalid_grant/);
  });

  it('makes exactly one meeting when killed between the platform answer and the database commit', async () => {
    await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'Example');
    const event = tagged();
    // Hold the answer to POST /meeting for a moment; as soon as the request arrives (its intent is
    // committed by then), take the database's write lock, so the mapping cannot be committed.
    w.webMeeting.server.inject({ kind: 'delay', ms: 800, method: 'POST', pathIncludes: '/api/v6/meeting' });
    let blocker: Database.Database | undefined;
    const killed = await runCli(['--config', w.configPath, 'sync'], {
      cwd: w.dir,
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if (!blocker && meetingPosts().length === 1) {
            blocker = new Database(w.dbPath);
            blocker.exec('BEGIN IMMEDIATE');
            setTimeout(() => child.kill('SIGKILL'), 1500);
            clearInterval(timer);
          }
        }, 5);
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(w.webMeeting.meetings()).toHaveLength(1);
    blocker!.exec('ROLLBACK');
    const state = blocker!.prepare('SELECT state, meeting_id FROM mappings').all();
    blocker!.close();
    expect(state).toEqual([{ state: 'creating', meeting_id: null }]);

    const again = await cli('sync', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ adopted: 1, created: 0 });
    expect(meetingPosts()).toHaveLength(1);
    const [meeting] = w.webMeeting.meetings();
    const db = new Database(w.dbPath, { readonly: true });
    expect(db.prepare('SELECT state, meeting_id FROM mappings').all()).toEqual([{ state: 'active', meeting_id: meeting!.id }]);
    db.close();
    expect(w.google.getEvent(w.calendar, event.id)?.extendedProperties?.private?.meetsyncMeetingId).toBe(meeting!.id);
  });

  it('runs as a daemon and exits 0 on SIGINT after its cycle', async () => {
    await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'Example');
    tagged();
    const r = await runCli(['--config', w.configPath, 'run'], {
      cwd: w.dir,
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if (meetingPosts().length === 1 && w.google.server.received('PATCH').length === 1) {
            clearInterval(timer);
            setTimeout(() => child.kill('SIGINT'), 200);
          }
        }, 20);
      },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('meetsync daemon stopped');
    expect(r.stderr).not.toContain(E2E_API_KEY);
    // The cycle lock is free again (the file stays: it is only ever locked, never removed).
    await expect(withCycleLock(w.dbPath, async () => 'free', { wait: false })).resolves.toBe('free');
  });

  it('never writes a secret into the database', async () => {
    await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'Example');
    tagged();
    w.google.revokeRefreshToken('unrelated');
    await cli('sync');
    const admin = w.webMeeting.users()[0]!;
    const dump = Buffer.concat(['', '-wal'].filter((s) => existsSync(w.dbPath + s)).map((s) => readFileSync(w.dbPath + s))).toString('latin1');
    for (const secret of [E2E_API_KEY, admin.icsToken, OAUTH.clientSecret, OAUTH.refreshToken]) expect(dump).not.toContain(secret);
    expect(path.basename(w.dbPath)).toBe('meetsync.db');
  });
});
