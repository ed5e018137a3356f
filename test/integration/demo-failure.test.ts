import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DemoError } from '../../src/demo/child.js';
import { runDemo } from '../../src/demo/run.js';
import { listening } from '../support/listening.js';

/** A step of the demo that fails: one line saying which and where the log is; the simulators stop. */
describe('meetsync demo when meetsync fails', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stops at the failed cycle with one line naming it and the log, and stops the simulators', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-demo-fail-'));
    // Run as meetsync: exits 1 with a complaint on standard error and nothing on standard output.
    const broken = path.join(dir, 'broken-meetsync.js');
    writeFileSync(broken, "process.stderr.write('the platform refused the API key\\n'); process.exit(1);\n");
    const stateDir = path.join(dir, 'state');
    const said: string[] = [];

    const failure = await runDemo({ stateDir, env: process.env, bin: broken, say: (l) => said.push(l) }).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(DemoError);
    const logPath = path.join(stateDir, 'meetsync.log');
    expect((failure as Error).message).toBe(`the first sync cycle: 'meetsync sync' exited 1 without its report; its log: ${logPath}`);
    expect(readFileSync(logPath, 'utf8')).toContain('the platform refused the API key');
    expect(said).toContain('1. First sync cycle (meetsync sync): what became of each event');
    expect(said.some((l) => l.startsWith('Done'))).toBe(false);
    // The simulators the config pointed at no longer listen.
    const config = readFileSync(path.join(stateDir, 'meetsync.yaml'), 'utf8');
    const urls = [...new Set(config.match(/https:\/\/127\.0\.0\.1:\d+/g))];
    expect(urls).toHaveLength(3);
    for (const url of urls) expect(await listening(url), url).toBe(false);
  }, 60_000);
});
