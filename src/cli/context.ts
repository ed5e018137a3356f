import { databaseExists } from '../store/database-target.js';
import type { Command } from 'commander';
import type { App } from '../app.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { CliIo } from './output.js';

/*
 * Cost: every module a command needs is imported inside that command, so `meetsync --help`
 * loads commander and little else, and `status` no engine, adapter or report renderer.
 */
export const loadConfig = async (...args: Parameters<typeof import('../config/load.js').loadConfig>) => (await import('../config/load.js')).loadConfig(...args);

export interface GlobalOptions {
  config?: string;
  json?: boolean;
}

/** A command's options with the program's (--config, --json). */
export const globals = <T extends object = Record<string, unknown>>(cmd: Command) => cmd.optsWithGlobals<GlobalOptions & T>();

export async function loggerFor(io: CliIo, config: Config | undefined, json: boolean | undefined): Promise<Logger> {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  const { createLogger } = await import('../log.js');
  return createLogger({ level: config?.log.level ?? 'info', pretty: tty && !json, destination: io.stderr });
}

/** The Web Meeting client, loaded only by the commands that call the platform. */
export async function createPlatform(config: Config, logger: Logger) {
  return (await import('../app.js')).createPlatform(config, logger);
}

export async function withApp<T>(io: CliIo, opts: GlobalOptions & { dryRun?: boolean }, fn: (app: App) => Promise<T>): Promise<T> {
  const { config } = await loadConfig(opts.config, io.env, io.cwd);
  // A dry run writes nothing anywhere, not even a new empty database.
  if (opts.dryRun && !databaseExists(config.database)) config.database = ':memory:';
  // The engine and the adapters are loaded here, not at start: `--help` and `status` need none of them.
  const { createApp } = await import('../app.js');
  const app = await createApp(config, await loggerFor(io, config, opts.json), { readOnly: Boolean(opts.dryRun), serve: true });
  return fn(app).finally(() => app.close());
}

/** Commands that need the config and the database, but no calendar source or engine. */
export async function withStore<T>(
  io: CliIo,
  opts: GlobalOptions,
  fn: (ctx: { config: Config; store: Store; logger: Logger; noDatabase: boolean }) => Promise<T>,
  options: { create: boolean } = { create: true },
): Promise<T> {
  const { config } = await loadConfig(opts.config, io.env, io.cwd);
  const logger = await loggerFor(io, config, opts.json);
  // A command that only reads must not create the database (nor its folder) it reports on: an
  // empty one in memory stands in for it.
  const noDatabase = !options.create && !databaseExists(config.database);
  const { Store } = await import('../store/store.js');
  const store = Store.open(noDatabase ? ':memory:' : config.database);
  try {
    return await fn({ config, store, logger, noDatabase });
  } finally {
    store.close();
  }
}
