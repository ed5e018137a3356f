import { CommanderError } from 'commander';
import { ConfigError, describeError, MeetsyncError } from '../domain/errors.js';
import { escapeRawControls, printable } from '../domain/printable.js';
import { scrub } from '../domain/redact.js';

/** Where the CLI writes and what it runs in: the process's own in bin.ts, streams of their own in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * The output boundary: everything the CLI prints goes through `emit`, once, so no terminal
 * control gets out (titles come from whoever sent the invitation). Results are scrubbed of
 * secrets here; error lines were scrubbed when the error was made (domain/errors.ts), and
 * scrubbing them again would mangle "webMeeting.apiKey: required" by its `apiKey:` pattern.
 */
export const emit = (stream: NodeJS.WritableStream, text: string) => stream.write(printable(text));
export const out = (io: CliIo, text: string) => emit(io.stdout, `${scrub(text)}\n`);
export const outJson = (io: CliIo, value: unknown, indent?: number) => out(io, escapeRawControls(JSON.stringify(value, null, indent)));
export const complain = (io: CliIo, text: string) => emit(io.stderr, `${text}\n`);

const guarded = new WeakSet<NodeJS.WritableStream>();

/**
 * A reader that goes away (`meetsync organizers | head`) makes the next write fail with EPIPE,
 * emitted as an 'error' event that, unheard, ends the process with a stack trace. Heard here,
 * once per stream, for every command and for commander's help: the output ends quietly (the
 * failed stream is destroyed, later writes to it go nowhere) and the command finishes with its
 * own exit code, so a sync cycle is not cut short because nobody reads its summary. Node ignores
 * SIGPIPE, so this event is the only notice. Any other write error stays as loud as before.
 */
export function endQuietlyOnClosedPipe(io: CliIo): void {
  for (const stream of [io.stdout, io.stderr]) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
}

/** The ONE place an error becomes a message and an exit code. */
export function exitCodeFor(io: CliIo, err: unknown): number {
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
