import { databaseExists } from '../store/database-target.js';
import path from 'node:path';
import type { Command } from 'commander';
import { MeetsyncError, UsageError } from '../domain/errors.js';
import { escapeRawControls, printable } from '../domain/printable.js';
import { scrub } from '../domain/redact.js';
import { REPORT_FORMATS, type ReportFormat } from '../reconcile/render/formats.js';
import { globals, loadConfig, loggerFor } from './context.js';
import { emit, out, type CliIo } from './output.js';

/** `meetsync reconcile`: every organizer's feed against the database, reported and, when asked, repaired. */
export function registerReconcileCommands(program: Command, io: CliIo): void {
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
      if (!databaseExists(config.database)) {
        throw new MeetsyncError(`no database yet at ${config.database}: run 'meetsync sync' first; there is nothing to reconcile`);
      }
      const { createApp } = await import('../app.js');
      // Only a repair changes anything; a report or a dry run leaves the database as it was.
      const app = await createApp(config, await loggerFor(io, config, opts.json || format === 'json'), { readOnly: !opts.repair || Boolean(opts.dryRun) });
      try {
        const { reconcilableOrganizers } = await import('../reconcile/reconcile.js');
        const { runReconciliation } = await import('../reconcile/run.js');
        const { renderReport } = await import('../reconcile/render/report.js');
        const { summaryLine } = await import('../reconcile/render/text.js');
        const { writeReportFile } = await import('../reconcile/report-files.js');
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
}
