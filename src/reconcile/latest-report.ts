import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FINDING_KINDS, INFORMATION_KINDS, KIND_LABEL, type FindingKind } from './findings.js';
import { fileProblem } from '../domain/file-problem.js';
import { LATEST_HTML, LATEST_JSON } from './report-files.js';

/**
 * The last scheduled reconciliation, as the status page and `/metrics` show it: read from the
 * `reconcile-latest.json` the daemon keeps in `reconcile.reportDir` (report-files.ts), so it is
 * right after a restart and whichever process wrote it. Only the summary is read (JSON format
 * version 1, README "JSON format"); the file is parsed again only when it changes, since a report
 * over many organizers is large and a scraper asks every few seconds.
 */

export interface LastReconciliation {
  /** When the report was made (its `generatedAt`). */
  generatedAt: Date;
  /** Findings by kind, every kind present. */
  counts: Record<FindingKind, number>;
  /** Findings that need attention: neither information nor repaired (exit code 3 when not 0). */
  open: number;
}

export type LatestReport =
  | { state: 'none' }
  | { state: 'unreadable'; reason: string }
  | { state: 'read'; last: LastReconciliation };

const reportSchema = z.object({
  version: z.literal(1),
  generatedAt: z.iso.datetime(),
  summary: z.object({ open: z.number().int().nonnegative() }).catchall(z.unknown()),
});

export class LatestReconciliationReader {
  readonly jsonFile: string;
  readonly htmlFile: string;
  private cached: { key: string; value: LatestReport } | undefined;

  constructor(readonly dir: string) {
    this.jsonFile = path.join(dir, LATEST_JSON);
    this.htmlFile = path.join(dir, LATEST_HTML);
  }

  read(): LatestReport {
    let key: string;
    try {
      const s = statSync(this.jsonFile);
      key = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'none' };
      return { state: 'unreadable', reason: `cannot read ${this.jsonFile}: ${fileProblem(err)}` };
    }
    if (this.cached?.key === key) return this.cached.value;
    const value = parseLatest(this.jsonFile);
    this.cached = { key, value };
    return value;
  }
}

function parseLatest(file: string): LatestReport {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return { state: 'unreadable', reason: `cannot read ${file}: ${err instanceof SyntaxError ? 'it is not JSON' : fileProblem(err)}` };
  }
  const parsed = reportSchema.safeParse(raw);
  if (!parsed.success) return { state: 'unreadable', reason: `${file} is not a meetsync reconciliation report (JSON format version 1)` };
  const { summary, generatedAt } = parsed.data;
  const counts = Object.fromEntries(FINDING_KINDS.map((k) => [k, typeof summary[k] === 'number' ? summary[k] : 0])) as Record<FindingKind, number>;
  return { state: 'read', last: { generatedAt: new Date(generatedAt), counts, open: summary.open } };
}

/** `3 time drift, 1 missing`: the kinds that need attention, for a person. */
export function openKinds(last: LastReconciliation): string {
  return FINDING_KINDS.filter((k) => !INFORMATION_KINDS.has(k) && last.counts[k] > 0)
    .map((k) => `${last.counts[k]} ${KIND_LABEL[k]}`)
    .join(', ');
}

/** `3 h 20 min`, `2 days`: how long ago, in words. */
export function ageOf(from: Date, now: Date): string {
  const minutes = Math.max(0, Math.round((now.getTime() - from.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return `${Math.floor(hours / 24)} days`;
}
