import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockedError, withCycleLock } from '../../src/store/lock.js';
import { runCli, startCliWorld, type CliResult, type CliWorld } from '../support/cli-harness.js';

/** `meetsync sync` and `meetsync run` on one database: never two cycles at once, and no cycle blocked for long. */
describe('meetsync CLI: one sync cycle at a time', () => {
  let w: CliWorld;
  let release: (() => void) | undefined;
  beforeEach(async () => {
    w = await startCliWorld();
    expect((await cli('accounts', 'create', '--email', 'alice@example.com', '--first', 'Alice', '--last', 'A')).code).toBe(0);
  });
  afterEach(async () => {
    release?.();
    await w.close();
  });

  const cli = (...args: string[]) => runCli(['--config', w.configPath, ...args], { cwd: w.dir });
  const tagged = (summary = 'Planning #webmeeting') =>
    w.google.userInsert(w.calendar, { summary, start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } });

  /** Holds the cycle lock in this process (as a cycle of another meetsync would) until `release()`. */
  async function holdLock(): Promise<{ done: Promise<void> }> {
    let held!: () => void;
    const acquired = new Promise<void>((r) => (held = r));
    const done = withCycleLock(w.dbPath, () => new Promise<void>((r) => { release = r; held(); }), { wait: false });
    await acquired;
    // Wrapped: an async function returning `done` itself would resolve only once it settles.
    return { done };
  }

  /** Starts the CLI; `saw(text)` resolves once its standard error contains `text`. */
  function start(...args: string[]): { result: Promise<CliResult>; child: () => ChildProcess; saw: (text: string) => Promise<void> } {
    let child: ChildProcess | undefined;
    let stderr = '';
    const waiters: Array<{ text: string; resolve: () => void }> = [];
    const result = runCli(['--config', w.configPath, ...args], {
      cwd: w.dir,
      onSpawn: (c) => {
        child = c;
        c.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          for (const x of waiters.filter((y) => stderr.includes(y.text))) x.resolve();
        });
      },
    });
    const saw = (text: string) => new Promise<void>((resolve) => (stderr.includes(text) ? resolve() : waiters.push({ text, resolve })));
    return { result, child: () => child!, saw };
  }

  it('sync runs while a run daemon is idle between its cycles', async () => {
    const daemon = start('run');
    await daemon.saw('sync cycle finished');
    tagged();
    const sync = await cli('sync', '--json', '--no-wait');
    expect(sync.stderr).not.toContain('another meetsync process');
    expect(sync.code).toBe(0);
    expect(JSON.parse(sync.stdout)).toMatchObject({ created: 1 });
    daemon.child().kill('SIGINT');
    const r = await daemon.result;
    expect(r.code).toBe(0);
    expect(w.webMeeting.meetings()).toHaveLength(1);
  });

  it('sync --no-wait during a cycle exits 1 with one clear line; sync without it waits, says so, then runs', async () => {
    tagged();
    const { done: held } = await holdLock();
    const refused = await cli('sync', '--no-wait');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('meetsync: another meetsync process is running a sync cycle on this database; try again later, or leave out --no-wait to wait for it\n');
    expect(refused.stdout).toBe('');

    const waiting = start('sync');
    await waiting.saw('waiting for it to finish');
    expect(w.webMeeting.server.received('POST', '/api/v6/meeting')).toHaveLength(0);
    release!();
    await held;
    const r = await waiting.result;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}created {3}Planning #webmeeting/m);
    expect(r.stderr).toContain('"msg":"another meetsync process is running a sync cycle on this database; waiting for it to finish"');
  });

  it('a daemon tick while another process runs a cycle is skipped, with a log line', async () => {
    tagged();
    const { done: held } = await holdLock();
    const daemon = start('run');
    await daemon.saw('this tick is skipped');
    expect(w.webMeeting.server.received('POST', '/api/v6/meeting')).toHaveLength(0);
    daemon.child().kill('SIGINT');
    expect((await daemon.result).code).toBe(0);
    release!();
    await held;
  });

  it('a daemon SIGKILLed in the middle of a cycle does not block the next sync', async () => {
    tagged();
    w.webMeeting.server.inject({ kind: 'delay', ms: 2_000, method: 'POST', pathIncludes: '/api/v6/meeting' });
    const daemon = start('run');
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (w.webMeeting.server.received('POST', '/api/v6/meeting').length === 1) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    daemon.child().kill('SIGKILL');
    expect((await daemon.result).signal).toBe('SIGKILL');
    // The delayed POST still takes effect on the platform; the next sync adopts that meeting from the
    // feed. (Before it shows there, a sync would rightly report the creation as not confirmed yet.)
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (w.webMeeting.meetings().length === 1) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    const sync = await cli('sync', '--no-wait', '--json');
    expect(sync.code).toBe(0);
    expect(w.webMeeting.meetings()).toHaveLength(1);
    await expect(withCycleLock(w.dbPath, async () => 'free', { wait: false })).resolves.toBe('free');
    await expect(withCycleLock(w.dbPath, () => withCycleLock(w.dbPath, async () => 'nested', { wait: false }), { wait: false })).rejects.toBeInstanceOf(LockedError);
  });
});
