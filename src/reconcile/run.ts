import type { CalendarSource } from '../calendars/source.js';
import type { Config } from '../config/schema.js';
import { CalendarLeases, leaseKey, processName } from '../store/leases.js';
import { withCycleLock } from '../store/lock.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { ReconcilePlatform } from './feed-fetch.js';
import type { ReconcileReport } from './findings.js';
import { reconcile } from './reconcile.js';
import type { RepairSettings } from './repair.js';
import { reportDirFor, writeLatestReports } from './report-files.js';

/**
 * A reconciliation as the CLI and the daemon run it, from the app's parts. A repair that changes
 * anything holds the cycle lock (store/lock.ts) like a sync cycle: two processes repairing, or
 * a repair beside a cycle, could create a meeting twice. On PostgreSQL, where replicas take no
 * cycle lock, it also holds the leases of the calendars it repairs (holdForRepair). A report
 * alone, or a dry run, only reads.
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
  /**
   * On a database replicas share: how long a repair waits for them to hand over the calendars it
   * repairs (each does at its next cycle, so a schedule period and a lease at most). @default 10 min
   */
  handOverWaitMs?: number;
}

/**
 * A repair beside replicas on PostgreSQL: it takes the leases of the calendars it repairs (store/
 * leases.ts takeWanted), every write for a calendar checks that lease, and they go back at the end.
 */
export function holdForRepair({ store, logger, ttlMs, waitMs }: { store: Store; logger: Logger; ttlMs: number; waitMs: number }): NonNullable<RepairSettings['hold']> {
  return async (calendars) => {
    const leases = new CalendarLeases(store, { replicaId: `repair-${processName()}`, ttlMs });
    const taken = await leases.takeWanted(calendars, waitMs, (holders) =>
      logger.info({ calendars: holders }, `the repair waits for the replicas serving ${holders.length} calendar(s) to hand them over (each does at its next cycle)`),
    );
    const stop = leases.keepAlive();
    const previous = store.fence;
    store.fence = (source, calendarId) => leases.guard(source, calendarId);
    return {
      has: (c) => taken.has(leaseKey(c)),
      whyNot: `the replica serving this calendar did not hand it over within ${Math.round(waitMs / 1000)} s (it does at its next cycle); run the repair again`,
      release() {
        stop();
        store.fence = previous;
        leases.release();
      },
    };
  };
}

export async function runReconciliation(deps: ReconcileDeps, request: ReconcileRequest): Promise<ReconcileReport> {
  const { config, store, platform, logger } = deps;
  const repair = request.repair && {
    ...request.repair,
    sources: new Map(deps.sources.map((s) => [s.name, s])),
    rules: config.tagging,
    defaults: config.webMeeting.meetingDefaults,
    window: config.window,
    ...(store.sql.dialect === 'postgres' ? { hold: holdForRepair({ store, logger, ttlMs: config.replicas.leaseSeconds * 1000, waitMs: request.handOverWaitMs ?? 10 * 60_000 }) } : {}),
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

