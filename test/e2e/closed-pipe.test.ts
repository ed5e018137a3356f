import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { BIN } from '../support/cli-harness.js';
import { MINIMAL_CONFIG } from '../support/config-text.js';

interface ClosedPipeResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What the CLI wrote on the stream that stayed open. */
  other: string;
}

/**
 * Runs the built CLI with the read end of one of its output pipes closed at once, as `| head`
 * does once it has its lines: the CLI's first write there fails with EPIPE, every time.
 */
function runWithClosedPipe(args: string[], closed: 'stdout' | 'stderr', cwd: string): Promise<ClosedPipeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, MEETSYNC_CONFIG: '', WEBMEETING_API_KEY: 'k' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child[closed]!.destroy();
    let other = '';
    child[closed === 'stdout' ? 'stderr' : 'stdout']!.on('data', (d: Buffer) => (other += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, other }));
  });
}

describe('meetsync CLI: a reader that goes away', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-pipe-'));
    writeFileSync(path.join(dir, 'meetsync.yaml'), `database: ./meetsync.db\n${MINIMAL_CONFIG}`);
    const store = Store.open(path.join(dir, 'meetsync.db'));
    for (let i = 0; i < 500; i++) {
      store.upsertOrganizer({ email: `user${i}@example.com`, accountId: 'a1', userId: `u${i}`, firstName: 'User', lastName: `${i}`, hasFeed: true, refreshedAt: '2030-01-01T00:00:00.000Z' });
    }
    store.close();
  });

  it.each([
    ['organizers', ['--config', 'meetsync.yaml', 'organizers']],
    ['--help', ['--help']],
  ])('`meetsync %s | head` ends the output quietly: no stack trace, exit 0', async (_name, args) => {
    const r = await runWithClosedPipe(args, 'stdout', dir);
    expect(r.other).toBe('');
    expect(r).toMatchObject({ code: 0, signal: null });
  });

  it('a closed standard error ends the error message quietly, with the exit code it would have had', async () => {
    const r = await runWithClosedPipe(['--config', 'missing.yaml', 'status'], 'stderr', dir);
    expect(r).toEqual({ code: 2, signal: null, other: '' });
  });
});
