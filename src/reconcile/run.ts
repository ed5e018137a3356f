import type { CalendarSource } from '../calendars/source.js';
import type { Config } from '../config/schema.js';
import { withCycleLock } from '../store/lock.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { ReconcilePlatform } from './feed-fetch.js';
import type { ReconcileReport } from './findings.js';
import { reconcile } from './reconcile.js';
import { reportDirFor, writeLatestReports } from './report-files.js';

/**
 * A reconciliation as the CLI and the daemon run it, from the app's parts. A repair that changes
 * anything holds the cycle lock (store/lock.ts) like a sync cycle: two processes repairing, or
 * a repair beside a cycle, could create a meeting twice. A report alone, or a dry run, only reads.
 */

export interface ReconcileDeps {
  config: Config;
  store: Store;
  platform: ReconcilePlatform;
  sources: readonly CalendarSource[];
  logger: Logger;
}

export interface ReconcileRequest {
  organizer?: string;
  repair?: { dryRun: boolean; deleteOrphans: boolean };
  /** Wait for another process's cycle (true), or throw LockedError at once. @default true */
  wait?: boolean;
}

export async function runReconciliation(deps: ReconcileDeps, request: ReconcileRequest): Promise<ReconcileReport> {
  const { config, store, platform, logger } = deps;
  const repair = request.repair && {
    ...request.repair,
    sources: new Map(deps.sources.map((s) => [s.name, s])),
    rules: config.tagging,
    defaults: config.webMeeting.meetingDefaults,
    window: config.window,
  };
  const run = () => reconcile({ store, platform, logger, ...(request.organizer ? { organizer: request.organizer } : {}), ...(repair ? { repair } : {}) });
  if (!repair || repair.dryRun) return run();
  return withCycleLock(config.database, run, {
    wait: request.wait ?? true,
    onWait: () => logger.info('another meetsync process is running a sync cycle on this database; the repair waits for it to finish'),
  });
}

/**
 * The daemon's scheduled reconciliation: a report (no repair), kept as the latest JSON and HTML
 * beside the database (or in `reconcile.reportDir`). The daemon calls it holding the cycle lock.
 */
export async function scheduledReconciliation(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report = await reconcile({ store: deps.store, platform: deps.platform, logger: deps.logger });
  const dir = reportDirFor(deps.config.database, deps.config.reconcile?.reportDir);
  if (dir) {
    const files = writeLatestReports(dir, report);
    deps.logger.info({ json: files.json, html: files.html, open: report.summary.open }, 'reconciliation report written');
  }
  return report;
}

