import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import type { App } from './app.js';
import { PAID_UNTIL_HELP } from './config/paid-until-help.js';
import type { Config } from './config/schema.js';
import type { ActionKind } from './domain/action.js';
import { ConfigError, describeError, MeetsyncError, UsageError } from './domain/errors.js';
import { escapeRawControls, printable } from './domain/printable.js';
import { scrub } from './domain/redact.js';
import type { Logger } from './log.js';
import { REPORT_FORMATS, type ReportFormat } from './reconcile/render/formats.js';
import type { Store } from './store/store.js';
import type { CalendarResult, CycleReport } from './sync/engine.js';

/*
 * Cost: every module a command needs is imported inside that command, so `meetsync --help`
 * loads commander and little else, and `status` no engine, adapter or report renderer.
 */
const loadConfig = async (...args: Parameters<typeof import('./config/load.js').loadConfig>) => (await import('./config/load.js')).loadConfig(...args);

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

interface GlobalOptions {
  config?: string;
  json?: boolean;
}

/**
 * The output boundary: everything the CLI prints goes through `emit`, once, so no terminal
 * control gets out (titles come from whoever sent the invitation). Results are scrubbed of
 * secrets here; error lines were scrubbed when the error was made (domain/errors.ts), and
 * scrubbing them again would mangle "webMeeting.apiKey: required" by its `apiKey:` pattern.
 */
const emit = (stream: NodeJS.WritableStream, text: string) => stream.write(printable(text));
const out = (io: CliIo, text: string) => emit(io.stdout, `${scrub(text)}\n`);
const outJson = (io: CliIo, value: unknown, indent?: number) => out(io, escapeRawControls(JSON.stringify(value, null, indent)));
const complain = (io: CliIo, text: string) => emit(io.stderr, `${text}\n`);

async function loggerFor(io: CliIo, config: Config | undefined, json: boolean | undefined): Promise<Logger> {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  const { createLogger } = await import('./log.js');
  return createLogger({ level: config?.log.level ?? 'info', pretty: tty && !json, destination: io.stderr });
}

/** The Web Meeting client, loaded only by the commands that call the platform. */
async function createPlatform(config: Config, logger: Logger) {
  return (await import('./app.js')).createPlatform(config, logger);
}

async function withApp<T>(io: CliIo, opts: GlobalOptions & { dryRun?: boolean }, fn: (app: App) => Promise<T>): Promise<T> {
  const { config } = await loadConfig(opts.config, io.env, io.cwd);
  // A dry run writes nothing anywhere, not even a new empty database.
  if (opts.dryRun && !existsSync(config.database)) config.database = ':memory:';
  // The engine and the adapters are loaded here, not at start: `--help` and `status` need none of them.
  const { createApp } = await import('./app.js');
  const app = await createApp(config, await loggerFor(io, config, opts.json), { readOnly: Boolean(opts.dryRun) });
  return fn(app).finally(() => app.close());
}

/** Commands that need the config and the database, but no calendar source or engine. */
async function withStore<T>(
  io: CliIo,
  opts: GlobalOptions,
  fn: (ctx: { config: Config; store: Store; logger: Logger; noDatabase: boolean }) => Promise<T>,
  options: { create: boolean } = { create: true },
): Promise<T> {
  const { config } = await loadConfig(opts.config, io.env, io.cwd);
  const logger = await loggerFor(io, config, opts.json);
  // A command that only reads must not create the database (nor its folder) it reports on: an
  // empty one in memory stands in for it.
  const noDatabase = !options.create && config.database !== ':memory:' && !existsSync(config.database);
  const { Store } = await import('./store/store.js');
  const store = Store.open(noDatabase ? ':memory:' : config.database);
  try {
    return await fn({ config, store, logger, noDatabase });
  } finally {
    store.close();
  }
}

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
  pending: 'would resolve',
  unchanged: 'no change',
};

function printCycle(io: CliIo, report: CycleReport, json: boolean | undefined): void {
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
      out(io, `  ${DRY_RUN_VERB[p.action].padEnd(14)} ${p.title || p.eventId}${p.detail ? ` — ${p.detail}` : ''}`);
    }
  } else {
    for (const o of report.outcomes.filter((x) => x.outcome !== 'unchanged')) {
      out(io, `  ${o.outcome.padEnd(9)} ${o.title || o.eventId}${o.meetingNumber ? ` [${o.meetingNumber}]` : ''}${o.reason ? ` — ${o.reason}` : ''}`);
    }
  }
  if (report.halted) out(io, `  ${report.halted.credential ? 'CREDENTIAL BROKEN' : 'PLATFORM FAILED'} Web Meeting platform: ${report.halted.error}`);
  for (const c of report.calendars.filter((x) => !x.ok)) {
    if (report.halted && c.error === report.halted.error) out(io, `  NOT SYNCED ${c.source}/${c.calendarId}: stopped with the platform's refusal above`);
    else out(io, `  ${c.authError ? 'CREDENTIAL BROKEN' : 'FAILED'} ${c.source}/${c.calendarId}: ${c.error ?? c.stopped}`);
  }
  for (const p of report.problems) out(io, `  PROBLEM ${p}`);
  const n = report.counts;
  out(io, `${report.dryRun ? 'Would have: ' : ''}${n.created} created, ${n.updated} updated, ${n.cancelled} cancelled, ${n.adopted} adopted, ${n.skipped} skipped, ${n.failed} failed, ${n.unchanged} unchanged`);
}

/** `meetsync run`: the daemon, with health/metrics when configured, until SIGTERM or SIGINT. */
async function runService(io: CliIo, opts: GlobalOptions & { allowMassCancel?: boolean }): Promise<void> {
  await withApp(io, opts, async (app) => {
    const { scheduledReconciliation } = await import('./reconcile/run.js');
    const { runDaemon } = await import('./daemon/run.js');
    const reconcile = app.config.reconcile && { schedule: app.config.reconcile.schedule, run: () => scheduledReconciliation(app) };
    // Health, metrics and the status page only when asked for: prom-client is loaded then only.
    const monitor = app.config.http ? await (await import('./daemon/monitor.js')).startMonitor(app, app.config.http.listen) : undefined;
    try {
      await runDaemon({
        engine: app.engine, schedule: app.config.schedule, logger: app.logger, databaseFile: app.config.database, allowMassCancel: Boolean(opts.allowMassCancel),
        ...(monitor ? { onCycle: monitor.onCycle, onRole: monitor.onRole } : {}),
        ...(reconcile ? { reconcile } : {}),
      });
    } finally {
      await monitor?.close();
    }
  });
}

/** `meetsync demo`, loaded only when asked for: it brings the simulators. With --json, only its result. */
async function runDemoCommand(io: CliIo, opts: GlobalOptions & { stateDir?: string }): Promise<void> {
  const { runDemo } = await import('./demo/run.js');
  const result = await runDemo({
    ...(opts.stateDir !== undefined ? { stateDir: path.resolve(io.cwd, opts.stateDir) } : {}),
    env: io.env,
    say: opts.json ? () => undefined : (line) => out(io, line),
  });
  if (opts.json) outJson(io, result, 2);
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('meetsync')
    .description('Keeps a Web Meeting platform meeting in step with every tagged Google Calendar or Outlook event.')
    .option('-c, --config <file>', 'config file (default: $MEETSYNC_CONFIG, else ./meetsync.yaml)')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => emit(io.stdout, s), writeErr: (s) => emit(io.stderr, s) });
  const globals = <T extends object = Record<string, unknown>>(cmd: Command) => cmd.optsWithGlobals<GlobalOptions & T>();

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
        const { startProgress } = await import('./progress.js');
        const { withCycleLock } = await import('./store/lock.js');
        const progress = total >= PROGRESS_MIN_CALENDARS && !opts.json ? await startProgress({ what: 'syncing calendars', total, stream: io.stdout, logger: app.logger }) : undefined;
        const onCalendar = progress ? { onCalendar: (c: CalendarResult, i: number, n: number) => progress.step(`${c.source}/${c.calendarId}`, c.ok, i, n) } : {};
        const cycle = () => app.engine.runCycle({ dryRun: Boolean(opts.dryRun), allowMassCancel: Boolean(opts.allowMassCancel), ...onCalendar }).finally(() => progress?.stop());
        // A dry run writes nothing, so it may read while another process runs a cycle.
        const report = opts.dryRun
          ? await cycle()
          : await withCycleLock(app.config.database, cycle, {
              wait: opts.wait,
              onWait: () => app.logger.info('another meetsync process is running a sync cycle on this database; waiting for it to finish'),
            });
        printCycle(io, report, opts.json);
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
      const { configNamed } = await import('./config/load.js');
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

  program
    .command('reconcile')
    .description("compare every organizer's meeting feed with meetsync's database; exit 0 all in step, 3 findings, 1 failed")
    .option('--format <format>', `report format: ${REPORT_FORMATS.join(', ')} (default text, or json with --json)`)
    .option('--output <file>', 'write the report to FILE (mode 0600) instead of standard output')
    .option('--organizer <email>', 'only this organizer')
    .option('--repair', 'put right what was found: drift, missing meetings, adoptable orphans')
    .option('--dry-run', 'with --repair: say what would be repaired; change nothing')
    .option('--delete-orphans', 'with --repair: also delete orphans and duplicates')
    .option('--no-wait', 'with --repair: when another meetsync process is running a cycle, exit 1 instead of waiting')
    .action(async (_o, cmd: Command) => {
      const opts = globals<{ format?: string; output?: string; organizer?: string; repair?: boolean; dryRun?: boolean; deleteOrphans?: boolean; wait: boolean }>(cmd);
      const format = (opts.format ?? (opts.json ? 'json' : 'text')) as ReportFormat;
      if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format ${opts.format}: must be one of ${REPORT_FORMATS.join(', ')}`);
      if (!opts.repair && (opts.dryRun || opts.deleteOrphans)) throw new UsageError(`--${opts.dryRun ? 'dry-run' : 'delete-orphans'} needs --repair`);
      const { config } = await loadConfig(opts.config, io.env, io.cwd);
      if (config.database !== ':memory:' && !existsSync(config.database)) {
        throw new MeetsyncError(`no database yet at ${config.database}: run 'meetsync sync' first; there is nothing to reconcile`);
      }
      const { createApp } = await import('./app.js');
      // Only a repair changes anything; a report or a dry run leaves the database as it was.
      const app = await createApp(config, await loggerFor(io, config, opts.json || format === 'json'), { readOnly: !opts.repair || Boolean(opts.dryRun) });
      try {
        const { reconcilableOrganizers } = await import('./reconcile/reconcile.js');
        const { runReconciliation } = await import('./reconcile/run.js');
        const { renderReport } = await import('./reconcile/render/report.js');
        const { summaryLine } = await import('./reconcile/render/text.js');
        const { writeReportFile } = await import('./reconcile/report-files.js');
        const organizer = opts.organizer?.toLowerCase();
        if (organizer !== undefined && !reconcilableOrganizers(app.store).includes(organizer)) {
          throw new UsageError(`--organizer ${opts.organizer}: not an organizer meetsync knows (see 'meetsync organizers')`);
        }
        const report = await runReconciliation(app, {
          ...(organizer ? { organizer } : {}),
          ...(opts.repair ? { repair: { dryRun: Boolean(opts.dryRun), deleteOrphans: Boolean(opts.deleteOrphans) } } : {}),
          wait: opts.wait,
        });
        const rendered = renderReport(report, format);
        // JSON keeps its meaning: DEL and C1 controls as \u escapes, not dropped by the output boundary.
        const text = format === 'json' ? escapeRawControls(rendered) : rendered;
        if (opts.output) {
          writeReportFile(path.resolve(io.cwd, opts.output), format === 'text' ? printable(scrub(text)) : scrub(text));
          out(io, `Report written to ${opts.output}. ${summaryLine(report)}`);
        } else {
          emit(io.stdout, scrub(text));
        }
        if (report.summary.open > 0) process.exitCode = 3;
      } finally {
        app.close();
      }
    });

  program
    .command('status')
    .description('per calendar the last success, last error and meeting counts; per event with a problem, the reason')
    .action(async (_o, cmd: Command) => {
      const opts = globals(cmd);
      await withStore(
        io,
        opts,
        async ({ config, store, noDatabase }) => {
          const { configuredCalendars } = await import('./shard/ownership.js');
          const { buildStatus, renderStatus, statusNeedsAttention } = await import('./status.js');
          const configured = configuredCalendars(config);
          const report = buildStatus(store, configured);
          if (opts.json) outJson(io, report, 2);
          else {
            if (noDatabase) out(io, `No database yet at ${config.database}: run 'meetsync sync' first.\n`);
            out(io, renderStatus(report));
          }
          if (statusNeedsAttention(report)) process.exitCode = 1;
        },
        { create: false },
      );
    });

  program
    .command('doctor')
    .description('check the config, the database, the clock, and that every endpoint answers over verified TLS and every credential works; changes nothing')
    .action(async (_o, cmd: Command) => {
      const opts = globals(cmd);
      const { runDoctor } = await import('./doctor/run.js');
      const { renderDoctor } = await import('./doctor/check.js');
      const report = await runDoctor({ configFlag: opts.config, env: io.env, cwd: io.cwd });
      if (opts.json) outJson(io, report, 2);
      else out(io, renderDoctor(report));
      if (!report.ok) process.exitCode = 1;
    });

  const accounts = program.command('accounts').description('platform accounts');
  accounts
    .command('create')
    .description('create a platform account with its first organizer (POST /api/v6/account) and store the organizer')
    .requiredOption('--email <email>', "the organizer's email (unique on the platform)")
    .requiredOption('--first <name>', 'first name')
    .requiredOption('--last <name>', 'last name')
    .option('--type <type>', 'account type', 'trial')
    .option('--language <code>', 'preferred language', 'en')
    .option('--paid-until <when>', 'paid until: a duration from now (P1Y, 365d) or an ISO instant; default: webMeeting.provisioning.paidUntil')
    .option('--no-send-password', 'do not email the organizer a password')
    .action(async (_o, cmd: Command) => {
      const opts = globals<{ email: string; first: string; last: string; type: string; language: string; paidUntil?: string; sendPassword: boolean }>(cmd);
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(opts.email)) throw new UsageError(`--email ${opts.email}: not an email address`);
      const { parsePaidUntil, resolvePaidUntil } = await import('./config/paid-until.js');
      const { provisionOrganizer } = await import('./sync/organizers.js');
      if (opts.paidUntil !== undefined && !parsePaidUntil(opts.paidUntil)) throw new UsageError(`--paid-until ${opts.paidUntil}: must be ${PAID_UNTIL_HELP}`);
      await withStore(io, opts, async ({ config, store, logger }) => {
        const platform = await createPlatform(config, logger);
        const now = new Date();
        const paidUntil = resolvePaidUntil(opts.paidUntil ?? config.webMeeting.provisioning.paidUntil, now);
        if (paidUntil.getTime() <= now.getTime()) {
          const given = opts.paidUntil === undefined ? `webMeeting.provisioning.paidUntil (${config.webMeeting.provisioning.paidUntil})` : `--paid-until ${opts.paidUntil}`;
          throw new UsageError(`${given} is in the past: the account would be created expired; give a duration such as P1Y`);
        }
        const organizer = await provisionOrganizer(
          platform,
          store,
          opts.email.toLowerCase(),
          { accountType: opts.type, preferredLanguage: opts.language, sendPassword: opts.sendPassword, paidUntil: paidUntil.toISOString() },
          now,
          { firstName: opts.first, lastName: opts.last },
        );
        if (opts.json) outJson(io, organizer, 2);
        else {
          out(io, `Created account ${organizer.accountId} with organizer ${organizer.email} (user ${organizer.userId}).`);
          out(io, `Their tagged events now get web meetings. To keep this account's organizers refreshed, add ${organizer.accountId} to webMeeting.accountIds.`);
        }
      });
    });

  program
    .command('organizers')
    .description('list the organizers meetsync knows')
    .option('--refresh', 're-read the admins of the configured (and known) accounts from the platform first')
    .action(async (_o, cmd: Command) => {
      const opts = globals<{ refresh?: boolean }>(cmd);
      await withStore(io, opts, async ({ config, store, logger }) => {
        if (opts.refresh) {
          const { refreshOrganizers } = await import('./sync/organizers.js');
          const { failures } = await refreshOrganizers(await createPlatform(config, logger), store, config.webMeeting.accountIds, new Date());
          for (const f of failures) complain(io, `meetsync: account ${f.accountId} could not be read: ${scrub(f.error)}`);
          if (failures.length > 0) process.exitCode = 1;
        }
        const list = store.organizers();
        if (opts.json) outJson(io, list, 2);
        else if (list.length === 0) out(io, "No organizers known. Add accounts to webMeeting.accountIds and run 'meetsync organizers --refresh', or 'meetsync accounts create'.");
        else {
          out(io, `${list.length} organizer${list.length === 1 ? '' : 's'}:`);
          for (const o of list) out(io, `  ${o.email.padEnd(32)} ${`${o.firstName} ${o.lastName}`.trim().padEnd(24)} account ${o.accountId}  user ${o.userId}`);
        }
      });
    });

  program
    .command('simulate')
    .description('run the Web Meeting, Google Calendar and Microsoft Graph simulators in the foreground (for trying meetsync out)')
    .option('--port <n>', 'port of the Web Meeting simulator; Google uses the next one, Microsoft Graph the one after (0 = random)', '47801')
    .option('--state-dir <dir>', 'where the CA and a ready config are written', '.meetsync-sim')
    .option('--calendar <email...>', 'calendars to create on the Google simulator', ['alice@example.com'])
    .option('--mailbox <email...>', 'mailboxes to create on the Microsoft Graph simulator', ['bob@example.com'])
    .action(async (_o, cmd: Command) => {
      const opts = globals(cmd) as GlobalOptions & { port: string; stateDir: string; calendar: string[]; mailbox: string[] };
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65533) throw new UsageError(`--port ${opts.port}: give a port number between 0 and 65533`);
      const { launchSimulators, SIM_GRAPH_APP } = await import('./simulators/launch.js');
      const sims = await launchSimulators({ port, stateDir: path.resolve(io.cwd, opts.stateDir), calendars: opts.calendar, mailboxes: opts.mailbox });
      const info = {
        webMeeting: { url: sims.webMeeting.url, apiKey: 'simulated-webmeeting-api-key' },
        google: { rootUrl: sims.google.rootUrl, tokenUrl: sims.google.tokenUrl, calendars: opts.calendar },
        graph: { url: sims.graph.url, graphBaseUrl: sims.graph.graphBaseUrl, tokenUrl: sims.graph.tokenUrl(SIM_GRAPH_APP.tenantId), tenantId: SIM_GRAPH_APP.tenantId, clientId: SIM_GRAPH_APP.clientId, mailboxes: opts.mailbox },
        caCertificate: sims.caCertPath,
        config: sims.configPath,
      };
      if (opts.json) outJson(io, info);
      else {
        const calendar = opts.calendar[0]!;
        const mailbox = opts.mailbox[0]!;
        // Outlook sources read a window (window.futureDays, default 180 days): the example event is next week.
        const day = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
        const outlookEvent = JSON.stringify({
          subject: 'Budget review',
          categories: ['Web Meeting'],
          start: { dateTime: `${day}T09:00:00`, timeZone: 'UTC' },
          end: { dateTime: `${day}T10:00:00`, timeZone: 'UTC' },
        });
        out(io, `Web Meeting simulator:     ${info.webMeeting.url}   (API key: ${info.webMeeting.apiKey})`);
        out(io, `Google Calendar simulator: ${info.google.rootUrl}   (calendars: ${opts.calendar.join(', ')})`);
        out(io, `Microsoft Graph simulator: ${info.graph.graphBaseUrl}   (token: ${info.graph.tokenUrl}; mailboxes: ${opts.mailbox.join(', ')})`);
        out(io, `All serve https with a local CA. In the terminal where you run meetsync:`);
        out(io, `  export NODE_EXTRA_CA_CERTS=${sims.caCertPath}`);
        out(io, `  export MEETSYNC_CONFIG=${sims.configPath}`);
        out(io, `Then: meetsync accounts create --email ${calendar} --first Alice --last Example`);
        out(io, `      meetsync accounts create --email ${mailbox} --first Bob --last Example`);
        out(io, `Add a Google event as a user: curl --cacert ${sims.caCertPath} -X POST ${sims.google.url}/_sim/calendars/${calendar}/events -H 'content-type: application/json' -d '{"summary":"Planning #webmeeting","start":{"dateTime":"2030-01-07T09:00:00Z"},"end":{"dateTime":"2030-01-07T10:00:00Z"}}'`);
        out(io, `Add an Outlook event (category Web Meeting): curl --cacert ${sims.caCertPath} -X POST ${sims.graph.url}/_sim/mailboxes/${mailbox}/events -H 'content-type: application/json' -d '${outlookEvent}'`);
        out(io, `Then: meetsync sync; meetsync status`);
        out(io, 'Press Ctrl-C to stop.');
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sims.stop();
    });

  return program;
}

/** Runs the CLI; the ONE place errors become messages and exit codes. Returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ConfigError) {
      complain(io, `meetsync: config error: ${err.message}`);
      for (const issue of err.issues) complain(io, `  ${issue.path}: ${issue.message}`);
      return 2;
    }
    if (err instanceof MeetsyncError) {
      complain(io, `meetsync: ${describeError(err)}`);
      return err.exitCode;
    }
    complain(io, `meetsync: unexpected error: ${describeError(err)}`);
    if (io.env.MEETSYNC_DEBUG) complain(io, scrub(String((err as Error).stack)));
    return 1;
  }
}

