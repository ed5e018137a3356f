import { pino, type Logger as PinoLogger } from 'pino';
import { createRequire } from 'node:module';
import { escapeRawControls, printable } from './domain/printable.js';
import { scrub, scrubDeep } from './domain/redact.js';

export type Logger = PinoLogger;

/** Keys whose values are secrets wherever they stand in a log record. */
const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'clientSecret',
  '*.clientSecret',
  'privateKey',
  '*.privateKey',
  'refreshToken',
  '*.refreshToken',
  'accessToken',
  '*.accessToken',
  'icsToken',
  '*.icsToken',
  'icsPath',
  '*.icsPath',
  'authorization',
  '*.authorization',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
];

export interface LogOptions {
  level?: string;
  /** Human-readable lines (for a terminal) instead of JSON. */
  pretty?: boolean;
  /** Where to write; defaults to standard error so standard output stays for command results. */
  destination?: NodeJS.WritableStream;
}

/**
 * Structured JSON logs (pino). Known secret keys are censored by path, and every string in every
 * record is scrubbed of registered secrets and token shapes before it is written. No line carries
 * a raw terminal control character (domain/printable.ts).
 */
export function createLogger(options: LogOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const stream = options.pretty
    ? prettyStream(destination)
    : { write: (line: string) => destination.write(escapeRawControls(scrub(line))) };
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { log: (record) => scrubDeep(record) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
    },
    stream,
  );
}

/**
 * Readable lines for a terminal. Formatted here, synchronously, so that what reaches the
 * terminal is the formatted text, made printable: pino-pretty writes the titles and messages
 * in a record as they are, escape sequences included.
 */
function prettyStream(destination: NodeJS.WritableStream): { write(line: string): void } {
  // Loaded only for a terminal (pino-pretty is a CommonJS package): logs to a pipe or a file, and
  // every service, never pay for it.
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const format = prettyFactory({ colorize: false, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' });
  return { write: (line: string) => destination.write(printable(format(scrub(line)))) };
}

/** A logger that writes nothing (tests, and library use without a logger). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
