import cron from 'node-cron';
import { describeError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import type { CycleReport, SyncEngine } from '../sync/engine.js';
import { errorOutcome, outcomeOf, type CycleOutcome } from './health.js';
import { LockedError, withCycleLock } from '../store/lock.js';
import { takeDaemonLock } from '../store/daemon-lock.js';
import type { PushQueue } from './push/queue.js';

/** Push notifications (issue 18): what they queue, and what is kept in step with each cycle. */
export interface DaemonPush {
  queue: PushQueue;
  /** After every cycle and push read (channels opened, renewed, stopped: push/channels.ts). */
  afterCycle(report: CycleReport, full: boolean): Promise<void>;
  /** Told what became of each push read. */
  onRead?: (outcome: CycleOutcome) => void;
}

/** A push read that found the cycle lock taken (a `meetsync sync` running) tries again after this. */
const PUSH_RETRY_MS = 1_000;

/** What a `meetsync run` is doing for its database: serving it, or standing by while another process does. */
export type DaemonRole = 'serving' | 'standby';

export interface DaemonOptions {
  /** The daemon only runs cycles: it needs nothing else of the engine. */
  engine: Pick<SyncEngine, 'runCycle'>;
  schedule: string;
  logger: Logger;
  /**
   * Whose daemon lock (`<database>.daemon.lock`) this daemon holds while it serves, and whose
   * cycle lock (`<database>.lock`) each cycle takes, so that no other process runs one meanwhile.
   */
  databaseFile: string;
  /**
   * One of several replicas on a PostgreSQL database (issue 17): every one serves at once, each
   * cycle the calendars whose lease it holds, so neither the daemon lock nor the cycle lock is
   * taken for cycles (a reconciliation still takes the cycle lock: one replica at a time).
   */
  replicas?: boolean;
  /** How often a standby tries to take over. @default 2000 */
  standbyPollMs?: number;
  /** Told when the daemon stands by and when it starts serving (health says "standby", not "starting"). */
  onRole?: (role: DaemonRole) => void;
  allowMassCancel?: boolean;
  /** Told after every tick what became of it (health and metrics, when `http.listen` is set). */
  onCycle?: (outcome: CycleOutcome) => void;
  /**
   * A reconciliation on its own cron schedule (config `reconcile`): run like a cycle, holding the
   * cycle lock, never beside this process's own cycle (it waits for that one to finish).
   */
  reconcile?: { schedule: string; run: () => Promise<unknown> };
  /** Push notifications: the calendars they ask to read, read between cycles (never beside one). */
  push?: DaemonPush;
}

/**
 * One daemon per database: takes the daemon lock first, standing by (one log line) while another
 * `meetsync run` holds it, then serves: a cycle at once, then on the cron schedule, never two at
 * once: not in this process, and not across processes (the cycle lock, taken per cycle, so
 * `meetsync sync` can run between cycles). SIGTERM and SIGINT let the action in flight finish
 * (a standby has none and stops at once), then the returned promise resolves (the caller exits 0).
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { logger } = options;
  const stop = stopSignal();
  if (options.replicas) {
    options.onRole?.('serving');
    logger.info('serving as one of the replicas of this database: each cycle serves the calendars whose lease it holds');
    await serve(options, stop);
    return;
  }
  let stoodBy = false;
  const lock = await takeDaemonLock(options.databaseFile, {
    signal: stop,
    ...(options.standbyPollMs !== undefined ? { pollMs: options.standbyPollMs } : {}),
    onStandby: (lockFile) => {
      stoodBy = true;
      options.onRole?.('standby');
      logger.info({ lockFile }, `another meetsync run is serving this database (it holds ${lockFile}); this one stands by and takes over when it stops`);
    },
  });
  if (!lock) {
    logger.info(`${String(stop.reason)} received while standing by: exiting`);
    return;
  }
  try {
    if (stoodBy) logger.info('the meetsync run serving this database stopped: this meetsync run now serves this database');
    options.onRole?.('serving');
    await serve(options, stop);
  } finally {
    lock.release();
  }
}

/** SIGTERM or SIGINT, once, as an aborted signal whose reason is the signal's name; listened for from the start, standby included. */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort('SIGTERM'));
  process.once('SIGINT', () => controller.abort('SIGINT'));
  return controller.signal;
}

/** The cron loop of the daemon that holds the daemon lock, until `stopSignalled` is aborted. */
async function serve(options: DaemonOptions, stopSignalled: AbortSignal): Promise<void> {
  const { engine, logger, push } = options;
  let running: Promise<void> | undefined;
  /** What holds the slot: a scheduled cycle, a reconciliation, or a push read (which a tick waits for). */
  let runningKind: 'cycle' | 'reconcile' | 'push' | undefined;
  let stopping = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const cycle = async () => {
    if (stopping) return;
    if (running && runningKind !== 'push') {
      logger.warn('the previous cycle (or a reconciliation) is still running; this tick is skipped');
      return;
    }
    // A push read is short (its calendars only): the tick comes right after it.
    while (running) await running;
    if (stopping) return;
    runningKind = 'cycle';
    running = (async () => {
      const started = Date.now();
      try {
        const runCycle = () => engine.runCycle({ shouldStop: () => stopping, ...(options.allowMassCancel ? { allowMassCancel: true } : {}) });
        const report = options.replicas ? await runCycle() : await withCycleLock(options.databaseFile, runCycle, { wait: false });
        logCycle(report, logger);
        options.onCycle?.(outcomeOf(report, Date.now() - started));
        await keepChannels(report, true);
      } catch (err) {
        if (err instanceof LockedError) logger.warn('another meetsync process is running a sync cycle on this database; this tick is skipped');
        else logger.error(`sync cycle failed: ${describeError(err)}`);
        options.onCycle?.(err instanceof LockedError ? { result: 'skipped', durationMs: 0 } : errorOutcome(err, Date.now() - started));
      } finally {
        running = undefined;
        runningKind = undefined;
      }
    })();
    await running;
    // Notifications that came during the cycle: it may have read their calendars before the change.
    void readPushed();
  };

  const keepChannels = async (report: CycleReport, full: boolean) => {
    if (!push || stopping) return;
    try {
      await push.afterCycle(report, full);
    } catch (err) {
      logger.warn(`push channels not kept in step this cycle: ${describeError(err)}`);
    }
  };

  /**
   * The calendars notifications asked for, read by one cycle of the engine limited to them
   * (CycleOptions.only): in the same slot as the scheduled cycles, under the same cycle lock.
   * What arrives meanwhile waits for the next one (PushQueue).
   */
  const readPushed = async (): Promise<void> => {
    if (!push || stopping || push.queue.size === 0) return;
    while (running) await running;
    if (stopping || push.queue.size === 0 || running) return;
    runningKind = 'push';
    let retry = false;
    running = (async () => {
      const started = Date.now();
      const only = push.queue.take();
      try {
        const runCycle = () => engine.runCycle({ only, shouldStop: () => stopping, ...(options.allowMassCancel ? { allowMassCancel: true } : {}) });
        const report = options.replicas ? await runCycle() : await withCycleLock(options.databaseFile, runCycle, { wait: false });
        for (const c of report.calendars.filter((x) => !x.ok)) logger.error({ source: c.source, calendar: c.calendarId }, `calendar failed: ${c.error ?? c.stopped}`);
        logger.info({ counts: report.counts, calendars: report.calendars.length }, 'push read finished');
        push.onRead?.(outcomeOf(report, Date.now() - started));
        await keepChannels(report, false);
      } catch (err) {
        retry = err instanceof LockedError;
        if (!retry) logger.error(`push read failed: ${describeError(err)}`);
        push.onRead?.(retry ? { result: 'skipped', durationMs: 0 } : errorOutcome(err, Date.now() - started));
      } finally {
        push.queue.done(retry);
        running = undefined;
        runningKind = undefined;
      }
    })();
    await running;
    if (retry) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => void readPushed(), PUSH_RETRY_MS);
    } else void readPushed();
  };
  push?.queue.onPoke(() => void readPushed());

  const reconcileJob = options.reconcile;
  const reconciliation = async () => {
    if (stopping || !reconcileJob) return;
    // A cycle of this process is running: the reconciliation comes after it rather than being lost.
    while (running) await running;
    if (stopping) return;
    runningKind = 'reconcile';
    running = (async () => {
      try {
        await withCycleLock(options.databaseFile, reconcileJob.run, { wait: false });
      } catch (err) {
        if (err instanceof LockedError) logger.warn('another meetsync process is running a sync cycle on this database; this reconciliation is skipped');
        else logger.error(`reconciliation failed: ${describeError(err)}`);
      } finally {
        running = undefined;
        runningKind = undefined;
      }
    })();
    await running;
    void readPushed();
  };

  const task = cron.schedule(options.schedule, () => void cycle(), { noOverlap: true });
  const reconcileTask = reconcileJob ? cron.schedule(reconcileJob.schedule, () => void reconciliation(), { noOverlap: true }) : undefined;
  logger.info({ schedule: options.schedule, ...(reconcileJob ? { reconcileSchedule: reconcileJob.schedule } : {}) }, 'meetsync daemon started');
  await new Promise<void>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      logger.info(`${String(stopSignalled.reason)} received: finishing the action in flight, then exiting`);
      void task.stop();
      void reconcileTask?.stop();
      clearTimeout(retryTimer);
      void (running ?? Promise.resolve()).then(resolve);
    };
    if (stopSignalled.aborted) stop();
    else stopSignalled.addEventListener('abort', stop, { once: true });
    void cycle();
  });
  await task.destroy();
  await reconcileTask?.destroy();
  logger.info('meetsync daemon stopped');
}

function logCycle(report: CycleReport, logger: Logger): void {
  // The engine has logged a halt (CREDENTIAL BROKEN for the platform) once; each calendar it stopped is not repeated.
  for (const c of report.calendars.filter((x) => !x.ok && !(report.halted && x.error === report.halted.error))) {
    // A broken credential is reported on every cycle, never skipped silently.
    const what = c.authError ? 'CREDENTIAL BROKEN, a person must act' : 'calendar failed';
    logger.error({ source: c.source, calendar: c.calendarId }, `${what}: ${c.error ?? c.stopped}`);
  }
  logger.info({ counts: report.counts }, 'sync cycle finished');
}
