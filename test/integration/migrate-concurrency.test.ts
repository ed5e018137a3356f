import { SqliteSql } from '../../src/store/sqlite-sql.js';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../src/store/migrate.js';
import { tablesAfter } from '../../src/store/schema-check.js';

/**
 * Several processes opening one database at the same moment, as after an upgrade when the daemon
 * and a `meetsync status` (or two daemons) start together. Real processes through the built
 * module (dist/), because the race is between SQLite connections of different processes: before
 * migrations ran under the write lock, both read "nothing applied", and the second then failed
 * with "table ... already exists".
 */
const DB_MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/store/db.js');

/** Opens every file at its start time (a busy wait, so the processes start within a millisecond of each other); prints one line per file. */
function opener(files: string[], startAt: number[]): Promise<string[]> {
  const script = `import { openDatabase } from ${JSON.stringify(DB_MODULE)};
const files = ${JSON.stringify(files)}, startAt = ${JSON.stringify(startAt)};
for (let i = 0; i < files.length; i += 1) {
  while (Date.now() < startAt[i]) { await new Promise((r) => setTimeout(r, Math.max(0, startAt[i] - Date.now() - 20))); while (Date.now() < startAt[i]); }
  try { openDatabase(files[i]).close(); console.log('ok'); } catch (err) { console.log(String(err.message).split('\\n')[0]); }
}`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => proc.on('close', () => resolve(out.trim().split('\n'))));
}

const ROUNDS = 12;
const PROCESSES = 3;

describe('migrations across processes', () => {
  it('several processes opening a new or an older database at once all succeed, and each migration is applied once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-migrate-'));
    const all = readMigrations();
    const files = Array.from({ length: ROUNDS }, (_, i) => path.join(dir, `round-${i}.db`));
    // Every other round: a database an older meetsync left (only the first migration applied).
    files.forEach((file, i) => {
      if (i % 2 === 0) return;
      const db = new Database(file);
      migrate(new SqliteSql(db), all.slice(0, 1));
      db.close();
    });
    // Node takes a while to start; every process is waiting well before the first round.
    const first = Date.now() + 2_500;
    const startAt = files.map((_, i) => first + i * 250);
    const outputs = await Promise.all(Array.from({ length: PROCESSES }, () => opener(files, startAt)));
    expect(outputs.flat().filter((line) => line !== 'ok')).toEqual([]);
    expect(outputs.flat()).toHaveLength(ROUNDS * PROCESSES);
    for (const file of files) {
      const db = new Database(file, { readonly: true });
      expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(all.map((m) => m.version));
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'").pluck().all() as string[];
      expect(new Set(tables.map((t) => t.toLowerCase()))).toEqual(tablesAfter(all));
      db.close();
    }
  }, 30_000);
});
