import type { Command } from 'commander';
import { PAID_UNTIL_HELP } from '../config/paid-until-help.js';
import { UsageError } from '../domain/errors.js';
import { inline } from '../domain/printable.js';
import { scrub } from '../domain/redact.js';
import { createPlatform, globals, withStore } from './context.js';
import { complain, out, outJson, type CliIo } from './output.js';

/** The operator's commands: how it stands (`status`, `doctor`) and who organizes (`accounts`, `organizers`). */
export function registerOperateCommands(program: Command, io: CliIo): void {
  program
    .command('status')
    .description('per calendar the last success, last error and meeting counts; per event with a problem, the reason')
    .action(async (_o, cmd: Command) => {
      const opts = globals(cmd);
      await withStore(
        io,
        opts,
        async ({ config, store, noDatabase }) => {
          const { configuredCalendars } = await import('../config/calendars.js');
          const { buildStatus, renderStatus, statusNeedsAttention } = await import('../status.js');
          const configured = configuredCalendars(config);
          const report = buildStatus(store, configured, { retry: { limitMs: config.webMeeting.holdUnconfirmedAfterHours * 3_600_000 } });
          const { readProfile } = await import('../store/platform-profile.js');
          const { describeProfile } = await import('../doctor/probe-report.js');
          const profile = readProfile(store.sql);
          if (opts.json) outJson(io, { ...report, platformProfile: profile ?? null }, 2);
          else {
            if (noDatabase) out(io, `No database yet at ${config.database}: run 'meetsync sync' first.\n`);
            out(io, renderStatus(report));
            out(io, `\n${describeProfile(profile, config.webMeeting.baseUrl).join('\n')}`);
          }
          if (statusNeedsAttention(report)) process.exitCode = 1;
        },
        { create: false },
      );
    });

  program
    .command('doctor')
    .description('check the config, the database, the clock, and that every endpoint answers over verified TLS and every credential works; changes nothing')
    .option('--probe-platform <email>', "instead: probe the platform with one test meeting in this organizer's name (made, moved, deleted), report each assumption and store the platform profile")
    .option('--probe-wait <seconds>', 'with --probe-platform: how long to wait for the feed to show a change', '120')
    .action(async (_o, cmd: Command) => {
      const opts = globals<{ probePlatform?: string; probeWait: string }>(cmd);
      if (opts.probePlatform !== undefined) {
        const { runProbeCommand } = await import('./probe-command.js');
        await runProbeCommand(io, { ...opts, probePlatform: opts.probePlatform });
        return;
      }
      const { runDoctor } = await import('../doctor/run.js');
      // Text: each check as it finishes, and the progress of the long part on a terminal.
      const text = opts.json ? undefined : (await import('./doctor-output.js')).doctorOutput(io);
      const report = await runDoctor({ configFlag: opts.config, env: io.env, cwd: io.cwd, ...(text ? { onCheck: text.check, onProgress: text.progress } : {}) });
      if (text) text.finish(report);
      else outJson(io, report, 2);
      // A config that does not load is a config error (exit 2), as for every other command.
      if (!report.ok) process.exitCode = report.checks.some((c) => c.subject === 'config' && c.status === 'FAIL') ? 2 : 1;
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
      const { parsePaidUntil, resolvePaidUntil } = await import('../config/paid-until.js');
      const { provisionOrganizer } = await import('../sync/organizers.js');
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
          const { refreshOrganizers } = await import('../sync/organizers.js');
          const { failures } = await refreshOrganizers(await createPlatform(config, logger), store, config.webMeeting.accountIds, new Date());
          for (const f of failures) complain(io, `meetsync: account ${f.accountId} could not be read: ${inline(scrub(f.error))}`);
          if (failures.length > 0) process.exitCode = 1;
        }
        const list = store.organizers();
        if (opts.json) outJson(io, list, 2);
        else if (list.length === 0) out(io, "No organizers known. Add accounts to webMeeting.accountIds and run 'meetsync organizers --refresh', or 'meetsync accounts create'.");
        else {
          out(io, `${list.length} organizer${list.length === 1 ? '' : 's'}:`);
          for (const o of list) out(io, `  ${inline(o.email).padEnd(32)} ${inline(`${o.firstName} ${o.lastName}`.trim()).padEnd(24)} account ${inline(o.accountId)}  user ${inline(o.userId)}`);
        }
      });
    });
}
