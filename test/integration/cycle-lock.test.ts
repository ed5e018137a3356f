import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LockedError, lockFileOf, withCycleLock } from '../../src/store/lock.js';

/**
 * The cycle lock across real processes. The children import the built module (dist/, as the
 * `meetsync` command does; npm test builds first), so the processes really are separate.
 */
const LOCK_MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/store/lock.js');

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Runs `body` (an async function's body; `withCycleLock`, `db`, `marker` in scope) in a new node process. */
function child(body: string, db: string, marker = ''): { process: ChildProcess; output: Promise<string>; saw: (text: string) => Promise<void> } {
  const script = `import { withCycleLock } from ${JSON.stringify(LOCK_MODULE)};
import { readFileSync, writeFileSync } from 'node:fs';
const db = ${JSON.stringify(db)}, marker = ${JSON.stringify(marker)};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
void readFileSync, writeFileSync, sleep;
${body}`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  let text = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  proc.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
    for (const w of waiters.filter((x) => text.includes(x.text))) w.resolve();
  });
  const output = new Promise<string>((resolve) => proc.on('close', () => resolve(text)));
  const saw = (wanted: string) => new Promise<void>((resolve) => (text.includes(wanted) ? resolve() : waiters.push({ text: wanted, resolve })));
  return { process: proc, output, saw };
}

const tempDb = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'meetsync-lock-')), 'meetsync.db');
const isFree = (db: string) => withCycleLock(db, async () => true, { wait: false }).catch((err: unknown) => (err instanceof LockedError ? false : Promise.reject(err)));

describe('cycle lock', () => {
  it('is never held by two processes at once, however they race for it', async () => {
    const db = tempDb();
    const marker = `${db}.holder`;
    // Each holder writes its pid, waits, and checks the pid is still its own: a second holder
    // in the meantime would have overwritten it.
    const racer = `let holds = 0, overlaps = 0;
const end = Date.now() + 2000;
while (Date.now() < end) {
  await withCycleLock(db, async () => {
    writeFileSync(marker, String(process.pid));
    await sleep(2 + Math.random() * 6);
    if (readFileSync(marker, 'utf8') !== String(process.pid)) overlaps += 1;
    holds += 1;
  }, { wait: true, pollMs: 1 });
}
console.log(JSON.stringify({ holds, overlaps }));`;
    const racers = Array.from({ length: 4 }, () => child(racer, db, marker));
    const results = (await Promise.all(racers.map((r) => r.output))).map((o) => JSON.parse(o) as { holds: number; overlaps: number });
    expect(results.reduce((n, r) => n + r.overlaps, 0)).toBe(0);
    expect(results.reduce((n, r) => n + r.holds, 0)).toBeGreaterThan(20);
  });

  it('an empty lock file with a live holder is not taken over (the old pid file read empty as a dead owner)', async () => {
    const db = tempDb();
    const holder = child(`await withCycleLock(db, async () => { console.log('held'); await sleep(60_000); }, { wait: false });`, db);
    await holder.saw('held');
    expect(statSync(lockFileOf(db)).size).toBe(0);
    expect(await isFree(db)).toBe(false);
    const other = child(`try { await withCycleLock(db, async () => console.log('TAKEN'), { wait: false }); } catch (err) { console.log(err.name); }`, db);
    expect((await other.output).trim()).toBe('LockedError');
  });

  it('a SIGKILLed holder does not block the next cycle', async () => {
    const db = tempDb();
    const holder = child(`await withCycleLock(db, async () => { console.log('held'); await sleep(60_000); }, { wait: false });`, db);
    await holder.saw('held');
    expect(await isFree(db)).toBe(false);
    holder.process.kill('SIGKILL');
    await holder.output;
    expect(await isFree(db)).toBe(true);
  });

  it('a waiting process says so once, then runs when the holder is done', async () => {
    const db = tempDb();
    let waited = 0;
    let release!: () => void;
    const held = withCycleLock(db, () => new Promise<void>((r) => (release = r)), { wait: false });
    const waiting = withCycleLock(db, async () => 'ran', { wait: true, pollMs: 5, onWait: () => (waited += 1) });
    await new Promise((r) => setTimeout(r, 100));
    expect(waited).toBe(1);
    release();
    await held;
    expect(await waiting).toBe('ran');
    expect(await isFree(db)).toBe(true);
  });

  it('takes over the pid file an older meetsync left after a crash, but not one whose process runs', async () => {
    const db = tempDb();
    const gone = child('', db);
    await gone.output;
    writeFileSync(lockFileOf(db), String(gone.process.pid));
    expect(await isFree(db)).toBe(true);
    expect(readFileSync(lockFileOf(db), 'utf8')).toBe('');

    const older = child(`console.log('up'); await sleep(60_000);`, db);
    await older.saw('up');
    writeFileSync(lockFileOf(db), `${older.process.pid}\n`);
    await expect(withCycleLock(db, async () => undefined, { wait: false })).rejects.toThrow(`an older meetsync (pid ${older.process.pid}) is running on this database`);
  });
});
