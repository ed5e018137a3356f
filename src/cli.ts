import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { createApp, createPlatform, type App } from './app.js';
import { loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { ConfigError, describeError, MeetsyncError, UsageError } from './domain/errors.js';
import { scrub } from './domain/redact.js';
import { createLogger, type Logger } from './log.js';
import { acquireLock } from './daemon/lock.js';
import { runDaemon } from './daemon/run.js';
import { buildStatus, renderStatus, statusNeedsAttention } from './status.js';
import { Store } from './store/store.js';
import type { CycleReport } from './sync/engine.js';
import { provisionOrganizer, refreshOrganizers } from './sync/organizers.js';

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

const out = (io: CliIo, text: string) => io.stdout.write(`${scrub(text)}\n`);

function loggerFor(io: CliIo, config: Config | undefined, json: boolean | undefined): Logger {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  return createLogger({ level: config?.log.level ?? 'info', pretty: tty && !json, destination: io.stderr });
}

function withApp<T>(io: CliIo, opts: GlobalOptions & { dryRun?: boolean }, fn: (app: App) => Promise<T>): Promise<T> {
  const { config } = loadConfig(opts.config, io.env, io.cwd);
  // A dry run writes nothing anywhere, not even a new empty database.
  if (opts.dryRun && !existsSync(config.database)) config.database = ':memory:';
  const app = createApp(config, loggerFor(io, config, opts.json));
  return fn(app).finally(() => app.close());
}

/** Commands that need the config and the database, but no calendar source or engine. */
async function withStore<T>(io: CliIo, opts: GlobalOptions, fn: (ctx: { config: Config; store: Store; logger: Logger }) => Promise<T>): Promise<T> {
  const { config } = loadConfig(opts.config, io.env, io.cwd);
  const logger = loggerFor(io, config, opts.json);
  const store = Store.open(config.database);
  try {
    return await fn({ config, store, logger });
  } finally {
    store.close();
  }
}

function printCycle(io: CliIo, report: CycleReport, json: boolean | undefined): void {
  if (json) {
    out(io, JSON.stringify({
      ...report.counts, dryRun: report.dryRun, calendars: report.calendars, outcomes: report.outcomes, problems: report.problems,
      ...(report.halted ? { halted: report.halted } : {}), ...(report.planned ? { planned: report.planned } : {}),
    }, null, 2));
    return;
  }
  if (report.dryRun) {
    out(io, 'Dry run: nothing was written to the platform, the calendars or the database.');
    for (const p of report.planned ?? []) out(io, `  would ${p.action.padEnd(9)} ${p.title || p.eventId}${p.detail ? ` — ${p.detail}` : ''}`);
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

export function buildProgram(io: CliIo): Command {
  const program = new Command('meetsync')
    .description('Keeps a Web Meeting platform meeting in step with every tagged Google Calendar or Outlook event.')
    .option('-c, --config <file>', 'config file (default: $MEETSYNC_CONFIG, else ./meetsync.yaml)')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const globals = <T extends object = Record<string, unknown>>(cmd: Command) => cmd.optsWithGlobals<GlobalOptions & T>();

  program
    .command('sync')
    .description('run one sync cycle now')
    .option('--dry-run', 'print the plan; write nothing anywhere')
    .option('--allow-mass-cancel', 'let this cycle cancel more meetings than the safety limit')
    .action(async (_o, cmd: Command) => {
      const opts = globals(cmd);
      await withApp(io, opts, async (app) => {
        const release = opts.dryRun ? () => undefined : acquireLock(app.config.database);
        try {
          const report = await app.engine.runCycle({ dryRun: Boolean(opts.dryRun), allowMassCancel: Boolean(opts.allowMassCancel) });
          printCycle(io, report, opts.json);
          if (report.counts.failed > 0 || report.calendars.some((c) => !c.ok) || report.problems.length > 0 || report.halted) process.exitCode = 1;
        } finally {
          release();
        }
      });
    });

  program
    .command('run')
    .description('run as a service: a sync cycle on the config schedule until SIGTERM or Ctrl-C')
    .option('--allow-mass-cancel', 'let cycles cancel more meetings than the safety limit')
    .action(async (_o, cmd: Command) => {
      const opts = globals(cmd);
      await withApp(io, opts, async (app) => {
        const release = acquireLock(app.config.database);
        try {
          await runDaemon({ engine: app.engine, schedule: app.config.schedule, logger: app.logger, allowMassCancel: Boolean(opts.allowMassCancel) });
        } finally {
          release();
        }
      });
    });

  program
    .command('status')
    .description('per calendar the last success, last error and meeting counts; per event with a problem, the reason')
    .action(async (_o, cmd: Command) => {
      const opts = globals(cmd);
      await withStore(io, opts, async ({ config, store }) => {
        const configured = config.sources.flatMap((s) => (s.kind === 'google' ? s.calendars : s.mailboxes).map((calendarId) => ({ source: s.name, calendarId })));
        const report = buildStatus(store, configured);
        out(io, opts.json ? JSON.stringify(report, null, 2) : renderStatus(report));
        if (statusNeedsAttention(report)) process.exitCode = 1;
      });
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
    .option('--paid-until <iso>', 'paid until (ISO instant); default: webMeeting.provisioning.paidUntil')
    .option('--no-send-password', 'do not email the organizer a password')
    .action(async (_o, cmd: Command) => {
      const opts = globals<{ email: string; first: string; last: string; type: string; language: string; paidUntil?: string; sendPassword: boolean }>(cmd);
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(opts.email)) throw new UsageError(`--email ${opts.email}: not an email address`);
      if (opts.paidUntil !== undefined && Number.isNaN(Date.parse(opts.paidUntil))) throw new UsageError(`--paid-until ${opts.paidUntil}: not an ISO date such as 2027-12-31T00:00:00.000Z`);
      await withStore(io, opts, async ({ config, store, logger }) => {
        const platform = createPlatform(config, logger);
        const paidUntil = new Date(opts.paidUntil ?? config.webMeeting.provisioning.paidUntil).toISOString();
        const organizer = await provisionOrganizer(
          platform,
          store,
          opts.email.toLowerCase(),
          { accountType: opts.type, preferredLanguage: opts.language, sendPassword: opts.sendPassword, paidUntil },
          new Date(),
          { firstName: opts.first, lastName: opts.last },
        );
        if (opts.json) out(io, JSON.stringify(organizer, null, 2));
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
          const { failures } = await refreshOrganizers(createPlatform(config, logger), store, config.webMeeting.accountIds, new Date());
          for (const f of failures) io.stderr.write(`meetsync: account ${f.accountId} could not be read: ${scrub(f.error)}\n`);
          if (failures.length > 0) process.exitCode = 1;
        }
        const list = store.organizers();
        if (opts.json) out(io, JSON.stringify(list, null, 2));
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
      if (opts.json) out(io, JSON.stringify(info));
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
      io.stderr.write(`meetsync: config error: ${err.message}\n`);
      for (const issue of err.issues) io.stderr.write(`  ${issue.path}: ${issue.message}\n`);
      return 2;
    }
    if (err instanceof MeetsyncError) {
      io.stderr.write(`meetsync: ${describeError(err)}\n`);
      return err.exitCode;
    }
    io.stderr.write(`meetsync: unexpected error: ${describeError(err)}\n`);
    if (io.env.MEETSYNC_DEBUG) io.stderr.write(`${scrub(String((err as Error).stack))}\n`);
    return 1;
  }
}

