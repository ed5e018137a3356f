import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/domain/errors.js';
import { fileProblem } from '../../src/domain/file-problem.js';
import { reportDirFor, writeReportFile } from '../../src/reconcile/report-files.js';

const base = `
database: ./data/meetsync.db
webMeeting: { baseUrl: https://meeting.example.com, apiKey: k-123456 }
`;

describe('config: reconcile', () => {
  it('is optional; without it the daemon does not reconcile', () => {
    expect(parseConfig(base, {}, '/etc/meetsync').reconcile).toBeUndefined();
  });

  it('takes a cron schedule; reportDir is resolved against the config file, and defaults to the database folder', () => {
    const cfg = parseConfig(`${base}reconcile: { schedule: "0 6 * * *", reportDir: ./reports }\n`, {}, '/etc/meetsync');
    expect(cfg.reconcile).toEqual({ schedule: '0 6 * * *', reportDir: '/etc/meetsync/reports' });
    expect(reportDirFor(cfg.database, cfg.reconcile?.reportDir)).toBe('/etc/meetsync/reports');
    const plain = parseConfig(`${base}reconcile: { schedule: "0 6 * * *" }\n`, {}, '/etc/meetsync');
    expect(reportDirFor(plain.database, plain.reconcile?.reportDir)).toBe('/etc/meetsync/data');
    expect(reportDirFor(':memory:', undefined)).toBeUndefined();
  });

  it('refuses a schedule that is no cron expression, and unknown keys', () => {
    let caught: unknown;
    try {
      parseConfig(`${base}reconcile: { schedule: "daily", reportdir: ./x }\n`, {}, '/etc/meetsync');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues.map((i) => `${i.path}: ${i.message}`).sort()).toEqual([
      'reconcile.reportdir: unknown key (check its spelling against config.example.yaml)',
      'reconcile.schedule: must be a cron expression such as "*/5 * * * *"',
    ]);
  });
});

describe('report files', () => {
  it('a report that cannot be written says why in words, naming the file asked for', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meetsync-report-'));
    const notAFolder = path.join(dir, 'notes.txt');
    writeFileSync(notAFolder, 'a file, not a folder');
    const file = path.join(notAFolder, 'report.html');
    expect(() => writeReportFile(file, '<p>report</p>')).toThrow(`cannot write ${file}: a part of its path is a file, not a folder`);
    expect(fileProblem(Object.assign(new Error("EACCES: permission denied, open '/r/.x.tmp'"), { code: 'EACCES' }), 'write')).toBe('permission denied (run meetsync as a user that can write it)');
  });
});
