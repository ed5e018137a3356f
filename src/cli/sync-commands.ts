import path from 'node:path';
import type { Command } from 'commander';
import type { ActionKind } from '../domain/action.js';
import { inline } from '../domain/printable.js';
import type { CalendarResult, CycleReport } from '../sync/engine.js';
import { globals, withApp, type GlobalOptions } from './context.js';
import { complain, out, outJson, type CliIo } from './output.js';

/** From this many calendars on, `meetsync sync` shows its progress. */
const PROGRESS_MIN_CALENDARS = 3;

/** What a dry run says it would do, per planned action. */
const DRY_RUN_VERB: Record<ActionKind, string> = {
  create: 'would create',
  update: 'would update',
  cancel: 'would cancel',
  adopt: 'would adopt',
  skip: 'would skip',
  exception: 'would record',
  'remember-kept': 'would remember as kept',
  pending: 'would resolve',
  unchanged: 'no change',
};

/**
 * `[number, join <link>]` for an outcome with a live meeting: the person running the sync can open
 * or pass on the link without reading it out of the event. A cancelled meeting's link is dead.
 */
function meetingOf(o: CycleReport['outcomes'][number], joinUrl: JoinUrl): string {
  if (!o.meetingNumber) return '';
  const link = o.meetingId && o.outcome !== 'cancelled' ? `, join ${joinUrl(o.meetingNumber, o.meetingId)}` : '';
  return ` [${inline(o.meetingNumber)}${inline(link)}]`;
}

type JoinUrl = (meetingNumber: string, meetingId: string) => string;

/** Outside text (titles, reasons, errors, calendar names) goes in through `inline`: one line each. */
function printCycle(io: CliIo, report: CycleReport, json: boolean | undefined, joinUrl: JoinUrl): void {
  if (json) {
    outJson(io, {
      ...report.counts, dryRun: report.dryRun, durationMs: report.durationMs, calendars: report.calendars, outcomes: report.outcomes, problems: report.problems,
      ...(report.halted ? { halted: report.halted } : {}), ...(report.planned ? { planned: report.planned } : {}),
    }, 2);
    return;
  }
  if (report.dryRun) {
    out(io, 'Dry run: nothing was written to the platform, the calendars or the database.');
    // Unchanged events are only counted (last line): listing them would bury what would happen.
    for (const p of (report.planned ?? []).filter((x) => x.action !== 'unchanged')) {
      out(io, `  ${DRY_RUN_VERB[p.action].padEnd(14)} ${inline(p.title || p.eventId)}${p.detail ? ` — ${inline(p.detail)}` : ''}`);
    }
  } else {
    for (const o of report.outcomes.filter((x) => x.outcome !== 'unchanged')) {
      out(io, `  ${o.outcome.padEnd(9)} ${inline(o.title || o.eventId)}${meetingOf(o, joinUrl)}${o.reason ? ` — ${inline(o.reason)}` : ''}`);
    }
  }
  if (report.halted) out(io, `  ${report.halted.credential ? 'CREDENTIAL BROKEN' : 'PLATFORM FAILED'} Web Meeting platform: ${inline(report.halted.error)}`);
  for (const c of report.calendars.filter((x) => !x.ok)) {
    if (report.halted && c.error === report.halted.error) out(io, `  NOT SYNCED ${inline(`${c.source}/${c.calendarId}`)}: stopped with the platform's refusal above`);
    else out(io, `  ${c.authError ? 'CREDENTIAL BROKEN' : 'FAILED'} ${inline(`${c.source}/${c.calendarId}`)}: ${inline(String(c.error ?? c.stopped))}`);
  }
  for (const p of report.problems) out(io, `  PROBLEM ${inline(p)}`);
  const n = report.counts;
  out(io, `${report.dryRun ? 'Would have: ' : ''}${n.created} created, ${n.updated} updated, ${n.cancelled} cancelled, ${n.adopted} adopted, ${n.skipped} skipped, ${n.failed} failed, ${n.unchanged} unchanged`);
}

/** `meetsync run`: the daemon, with health/metrics when configured, until SIGTERM or SIGINT. */
async function runService(io: CliIo, opts: GlobalOptions & { allowMassCancel?: boolean }): Promise<void> {
  await withApp(io, opts, async (app) => {
    const { scheduledReconciliation } = await import('../reconcile/run.js');
    const { runDaemon } = await import('../daemon/run.js');
    const reconcile = app.config.reconcile && { schedule: app.config.reconcile.schedule, run: () => scheduledReconciliation(app) };
    // Push notifications (issue 18) only when configured: their endpoint is on the HTTP listener.
    const push = app.config.push ? (await import('../daemon/push/setup.js')).createPush(app, app.config.push.publicUrl) : undefined;
    // Health, metrics and the status page only when asked for: prom-client is loaded then only.
    const monitor = app.config.http ? await (await import('../daemon/monitor.js')).startMonitor(app, app.config.http.listen, push) : undefined;
    try {
      await runDaemon({
        engine: app.engine, schedule: app.config.schedule, logger: app.logger, databaseFile: app.config.database, allowMassCancel: Boolean(opts.allowMassCancel), replicas: app.replicas,
        ...(monitor ? { onCycle: monitor.onCycle, onRole: monitor.onRole } : {}),
        ...(push ? { push: { ...push.daemon, ...(monitor ? { onRead: monitor.onPushRead } : {}) } } : {}),
        ...(reconcile ? { reconcile } : {}),
      });
    } finally {
      push?.close();
      await monitor?.close();
    }
  });
}

/** `meetsync demo`, loaded only when asked for: it brings the simulators. With --json, only its result. */
async function runDemoCommand(io: CliIo, opts: GlobalOptions & { stateDir?: string }): Promise<void> {
  const { runDemo } = await import('../demo/run.js');
  const result = await runDemo({
    ...(opts.stateDir !== undefined ? { stateDir: path.resolve(io.cwd, opts.stateDir) } : {}),
    env: io.env,
    say: opts.json ? () => undefined : (line) => out(io, line),
  });
  if (opts.json) outJson(io, result, 2);
}

/** The commands that sync: one cycle (`sync`), the service (`run`, `start`), and the `demo`. */
export function registerSyncCommands(program: Command, io: CliIo): void {
  program
    .command('sync')
    .description('run one sync cycle now')
    .option('--dry-run', 'print the plan; write nothing anywhere')
    .option('--allow-mass-cancel', 'let this cycle cancel more meetings than the safety limit')
    .option('--no-wait', 'when another meetsync process is running a cycle, exit 1 instead of waiting for it')
    .action(async (_o, cmd: Command) => {
      const opts = globals<{ dryRun?: boolean; allowMassCancel?: boolean; wait: boolean }>(cmd);
      await withApp(io, opts, async (app) => {
        // Many calendars (a first full sync reads each fully): a bar on a terminal, a log line per calendar otherwise.
        const total = app.sources.reduce((n, s) => n + s.calendars.length, 0);
        const { startProgress } = await import('../progress.js');
        const { withCycleLock } = await import('../store/lock.js');
        const progress = total >= PROGRESS_MIN_CALENDARS && !opts.json ? await startProgress({ what: 'syncing calendars', total, stream: io.stdout, logger: app.logger }) : undefined;
        const onCalendar = progress ? { onCalendar: (c: CalendarResult, i: number, n: number) => progress.step(inline(`${c.source}/${c.calendarId}`), c.ok, i, n) } : {};
        const cycle = () => app.engine.runCycle({ dryRun: Boolean(opts.dryRun), allowMassCancel: Boolean(opts.allowMassCancel), ...onCalendar }).finally(() => progress?.stop());
        // A dry run writes nothing, so it may read while another process runs a cycle; on a
        // PostgreSQL database this cycle serves only the calendars whose lease it could claim.
        const report = opts.dryRun || app.replicas
          ? await cycle()
          : await withCycleLock(app.config.database, cycle, {
              wait: opts.wait,
              onWait: () => app.logger.info('another meetsync process is running a sync cycle on this database; waiting for it to finish'),
            });
        printCycle(io, report, opts.json, (number, id) => app.platform.joinUrl(number, id));
        if (report.counts.failed > 0 || report.calendars.some((c) => !c.ok) || report.problems.length > 0 || report.halted) process.exitCode = 1;
      });
    });

  program
    .command('run')
    .description('run as a service: a sync cycle on the config schedule until SIGTERM or Ctrl-C')
    .option('--allow-mass-cancel', 'let cycles cancel more meetings than the safety limit')
    .action(async (_o, cmd: Command) => runService(io, globals(cmd)));

  program
    .command('start')
    .description("what 'npm start' runs: the service (as 'run') when there is a config; without one (no --config, no $MEETSYNC_CONFIG, no ./meetsync.yaml), the demo")
    .option('--allow-mass-cancel', 'let cycles cancel more meetings than the safety limit')
    .action(async (_o, cmd: Command) => {
      const opts = globals(cmd);
      const { configNamed } = await import('../config/load.js');
      if (configNamed(opts.config, io.env, io.cwd)) return runService(io, opts);
      const note = 'No config found (no --config, no $MEETSYNC_CONFIG, no ./meetsync.yaml here): running the demo instead of the service.';
      // With --json standard output is the demo's result alone.
      if (opts.json) complain(io, note);
      else out(io, note);
      return runDemoCommand(io, opts);
    });

  program
    .command('demo')
    .description('a made-up company on local simulators, synced, changed, synced again and reconciled; takes seconds, leaves nothing running')
    .option('--state-dir <dir>', 'keep the config, database, log and report here (new or empty; default: a new temporary folder)')
    .action(async (_o, cmd: Command) => runDemoCommand(io, globals<{ stateDir?: string }>(cmd)));
}
