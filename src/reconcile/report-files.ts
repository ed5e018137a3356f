import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MeetsyncError } from '../domain/errors.js';
import { fileProblem } from '../domain/file-problem.js';
import type { ReconcileReport } from './findings.js';
import { renderReport } from './render/report.js';

/**
 * Report files: `--output FILE`, and the latest report the daemon keeps beside the database.
 * A report names organizers, meetings and event ids, so it is written with mode 0600 (owner
 * only), like the database. It is written to a temporary file in the same folder and renamed,
 * so a reader (a browser left open on it, a script) never sees half a report.
 */

export const REPORT_MODE = 0o600;

export function writeReportFile(file: string, content: string): void {
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  let folder = false;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    folder = true;
    writeFileSync(temp, content, { mode: REPORT_MODE });
    renameSync(temp, file);
  } catch (err) {
    if (folder) rmSync(temp, { force: true });
    // Said in words, naming the file asked for (not the temporary one in Node's message).
    throw new MeetsyncError(`cannot write ${file}: ${fileProblem(err, 'write')}`, { cause: err });
  }
}

/** Where the daemon keeps the latest report: `reportDir`, else the database's folder. Undefined for an in-memory database. */
export function reportDirFor(databaseFile: string, reportDir: string | undefined): string | undefined {
  if (reportDir) return reportDir;
  return databaseFile === ':memory:' ? undefined : path.dirname(databaseFile);
}

export const LATEST_JSON = 'reconcile-latest.json';
export const LATEST_HTML = 'reconcile-latest.html';

/** Writes `reconcile-latest.json` and `reconcile-latest.html` into `dir`; returns their paths. */
export function writeLatestReports(dir: string, report: ReconcileReport): { json: string; html: string } {
  const json = path.join(dir, LATEST_JSON);
  const html = path.join(dir, LATEST_HTML);
  writeReportFile(json, renderReport(report, 'json'));
  writeReportFile(html, renderReport(report, 'html'));
  return { json, html };
}
