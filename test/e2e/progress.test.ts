import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runCli, startCliWorld, type CliWorld } from '../support/cli-harness.js';

let w: CliWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** A world whose Google source reads three calendars: enough for `meetsync sync` to show progress. */
async function threeCalendars(): Promise<CliWorld> {
  const world = await startCliWorld();
  for (const c of ['bob@example.com', 'carol@example.com']) world.google.addCalendar(c);
  writeFileSync(world.configPath, readFileSync(world.configPath, 'utf8').replace(`calendars: [${world.calendar}]`, `calendars: [${world.calendar}, bob@example.com, carol@example.com]`));
  return world;
}

/** Runs the CLI with standard output on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function runOnTerminal(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd, env: { ...process.env, MEETSYNC_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('meetsync sync: progress over many calendars', () => {
  it('draws a bar when standard output is a terminal', async () => {
    w = await threeCalendars();
    const r = await runOnTerminal(['--config', w.configPath, 'sync'], w.dir);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/syncing calendars \[[█░]+\] 3\/3/);
    expect(r.output).toContain('0 created, 0 updated');
  });

  it('writes a log line per calendar instead when it is not, and keeps standard output for the result', async () => {
    w = await threeCalendars();
    const r = await runCli(['--config', w.configPath, 'sync'], { cwd: w.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('syncing calendars');
    expect(r.stdout.trim()).toBe('0 created, 0 updated, 0 cancelled, 0 adopted, 0 skipped, 0 failed, 0 unchanged');
    const lines = r.stderr.split('\n').filter((l) => l.includes('syncing calendars'));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('syncing calendars: 3 of 3 done (corp-google/carol@example.com)');
  });

  it('--json shows no progress at all', async () => {
    w = await threeCalendars();
    const r = await runCli(['--config', w.configPath, 'sync', '--json'], { cwd: w.dir });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('syncing calendars');
    expect(JSON.parse(r.stdout)).toMatchObject({ created: 0 });
  });
});
