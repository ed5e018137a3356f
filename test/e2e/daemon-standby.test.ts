import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliResult, type CliWorld } from '../support/cli-harness.js';

/**
 * Two `meetsync run` on one database (two services, two containers, a forgotten terminal): one
 * serves, the other stands by and takes over when the first stops. Before the daemon lock both
 * ran a cycle on every tick that did not overlap, and the platform saw twice the traffic.
 */
describe('meetsync run: one daemon per database', () => {
  let w: CliWorld;
  const daemons: Daemon[] = [];

  beforeEach(async () => {
    w = await startCliWorld();
    expect((await runCli(['--config', w.configPath, 'accounts', 'create', '--email', w.calendar, '--first', 'Alice', '--last', 'A'], { cwd: w.dir })).code).toBe(0);
    // Every two seconds (node-cron's leading seconds field); port 0: each daemon says which port it got.
    const config = readFileSync(w.configPath, 'utf8').replace('schedule: "*/5 * * * *"', 'schedule: "*/2 * * * * *"');
    writeFileSync(w.configPath, `${config}http: { listen: "127.0.0.1:0" }\n`);
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
      await d.result;
    }
    await w.close();
  });

  interface Daemon {
    child: ChildProcess;
    result: Promise<CliResult>;
    stderr: () => string;
    cycles: () => number;
    base: () => Promise<string>;
  }

  function start(): Daemon {
    let child: ChildProcess | undefined;
    let stderr = '';
    const result = runCli(['--config', w.configPath, 'run'], { cwd: w.dir, onSpawn: (c) => { child = c; c.stderr!.on('data', (d: Buffer) => (stderr += d.toString())); } });
    const listening = /status page on http:\/\/(127\.0\.0\.1:\d+)\//;
    const daemon: Daemon = {
      child: child!,
      result,
      stderr: () => stderr,
      cycles: () => stderr.split('\n').filter((l) => l.includes('"msg":"sync cycle finished"')).length,
      base: async () => {
        await until(() => listening.test(stderr), 'the listening line');
        return `http://${listening.exec(stderr)![1]}`;
      },
    };
    daemons.push(daemon);
    return daemon;
  }

  const health = async (base: string) => {
    const res = await fetch(`${base}/healthz`);
    return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
  };

  it('a second run stands by (one log line, /healthz 200 "standby") while the first serves, and takes over when it stops', async () => {
    const first = start();
    await until(() => first.cycles() >= 1, "the first daemon's first cycle");
    const second = start();
    const secondBase = await second.base();
    const servedBefore = first.cycles();
    // Three ticks of the schedule: the first daemon keeps serving, the second runs none.
    await new Promise((r) => setTimeout(r, 6_500));
    expect(first.cycles()).toBeGreaterThanOrEqual(servedBefore + 2);
    expect(second.cycles()).toBe(0);
    const standbyLines = second.stderr().split('\n').filter((l) => l.includes('this one stands by and takes over when it stops'));
    expect(standbyLines).toHaveLength(1);
    expect(standbyLines[0]).toContain('another meetsync run is serving this database');
    expect(second.stderr()).not.toContain('this tick is skipped');
    expect(await health(secondBase)).toMatchObject({ status: 200, body: { status: 'standby' } });

    // A tagged event gets one meeting, from the daemon that serves.
    w.google.userInsert(w.calendar, { summary: 'Planning #webmeeting', start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T10:00:00Z' } });
    await until(() => w.webMeeting.meetings().length === 1, 'the meeting');

    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    expect((await first.result).code).toBe(0);
    await until(() => second.cycles() >= 1, "the second daemon's first cycle after the takeover", 15_000);
    // The standby polls every few seconds, then runs a cycle at once (not at the next tick only).
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(second.stderr()).toContain('this meetsync run now serves this database');
    await until(async () => (await health(secondBase)).body.status === 'ok', '/healthz ok after the takeover');
    expect(w.webMeeting.meetings()).toHaveLength(1);
    expect(w.webMeeting.server.received('POST', '/api/v6/meeting')).toHaveLength(1);

    second.child.kill('SIGTERM');
    expect((await second.result).code).toBe(0);
  }, 60_000);

  it('a standby stops at once on SIGTERM, exit 0, and the serving daemon goes on', async () => {
    const first = start();
    await until(() => first.cycles() >= 1, "the first daemon's first cycle");
    const second = start();
    await until(() => second.stderr().includes('this one stands by'), 'the standby line');
    const signalled = Date.now();
    second.child.kill('SIGTERM');
    const r = await second.result;
    expect(r.code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(3_000);
    expect(r.stderr).not.toContain('sync cycle finished');
    const served = first.cycles();
    await until(() => first.cycles() > served, 'another cycle of the first daemon');
    first.child.kill('SIGTERM');
    expect((await first.result).code).toBe(0);
  }, 40_000);
});

async function until(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
