import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../domain/errors.js';
import { isPostgresUrl, shownDatabase } from '../store/database-target.js';
import { globals, loadConfig } from './context.js';
import { out, outJson, type CliIo } from './output.js';

/** The database's own commands: `db copy` (issue 17: moving an SQLite database to PostgreSQL). */
export function registerDbCommands(program: Command, io: CliIo): void {
  const db = program.command('db').description("meetsync's database");
  db.command('copy')
    .description("copy every record of the configured database into another, empty one (an SQLite file or a postgres:// URL); stop meetsync first")
    .requiredOption(
      '--to <target>',
      'the database to copy into: a file path (relative to the current folder) or a postgres:// URL, taken as written (its password may come from PGPASSWORD instead)',
    )
    .action(async (_o, cmd: Command) => {
      const opts = globals<{ to: string }>(cmd);
      const to = targetOf(opts.to, io.cwd);
      const { config } = await loadConfig(opts.config, io.env, io.cwd);
      const { copyDatabase } = await import('../store/copy.js');
      const result = await copyDatabase(config.database, to);
      const shown = shownDatabase(to);
      const rows = result.tables.reduce((n, t) => n + t.rows, 0);
      if (opts.json) {
        outJson(io, { from: shownDatabase(config.database), to: shown, tables: result.tables, rows, database: shown }, 2);
        return;
      }
      const width = Math.max(...result.tables.map((t) => t.table.length));
      for (const t of result.tables) out(io, `  ${t.table.padEnd(width)}  ${t.rows} row${t.rows === 1 ? '' : 's'}`);
      const password = isPostgresUrl(to) && new URL(to).password ? ' (write the password in, or set it with ${VAR} or PGPASSWORD)' : '';
      out(io, `Copied ${rows} record${rows === 1 ? '' : 's'} from ${shownDatabase(config.database)}. To use the copy, set in the config: database: ${JSON.stringify(shown)}${password}`);
    });
}

/** `--to`: a postgres:// URL as written, a file path resolved against the current folder. */
function targetOf(to: string, cwd: string): string {
  if (to.trim() === '' || to === ':memory:') throw new UsageError(`--to ${JSON.stringify(to)}: give a database file path or a postgres:// URL`);
  return isPostgresUrl(to) ? to : path.resolve(cwd, to);
}
