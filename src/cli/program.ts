import { Command } from 'commander';
import { registerDbCommands } from './db-commands.js';
import { registerExplainCommand } from './explain-command.js';
import { registerOperateCommands } from './operate-commands.js';
import { emit, endQuietlyOnClosedPipe, exitCodeFor, type CliIo } from './output.js';
import { registerReconcileCommands } from './reconcile-commands.js';
import { registerSimulateCommands } from './simulate-commands.js';
import { registerSyncCommands } from './sync-commands.js';

/**
 * The program and its commands, a file per group. The groups are registered in the order
 * `--help` lists them. No command module imports more than commander and a few small domain
 * modules at load: what a command needs it imports when it runs (context.ts).
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('meetsync')
    .description('Keeps a Web Meeting platform meeting in step with every tagged Google Calendar or Outlook event.')
    .option('-c, --config <file>', 'config file (default: $MEETSYNC_CONFIG, else ./meetsync.yaml)')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => emit(io.stdout, s), writeErr: (s) => emit(io.stderr, s) });
  registerSyncCommands(program, io);
  registerReconcileCommands(program, io);
  registerOperateCommands(program, io);
  registerExplainCommand(program, io);
  registerDbCommands(program, io);
  registerSimulateCommands(program, io);
  return program;
}

/** Runs the CLI; errors become messages and exit codes in output.ts. Returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  endQuietlyOnClosedPipe(io);
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return exitCodeFor(io, err);
  }
}
