import type { Logger } from './log.js';
import { printable } from './domain/printable.js';

/**
 * Progress of long interactive work (a first full sync reads every calendar fully): a bar
 * (cli-progress) when standard output is a terminal, a log line per step otherwise, so a cron job
 * or the journal gets plain lines. cli-progress is imported only when a bar is drawn.
 */
export interface Progress {
  /** One step done: `label` names it (a calendar), `ok` whether it succeeded. */
  step(label: string, ok: boolean, index: number, total: number): void;
  stop(): void;
}

export interface ProgressOptions {
  what: string;
  total: number;
  /** Where the bar is drawn; a bar only when it is a terminal. */
  stream: NodeJS.WritableStream;
  logger: Logger;
}

export async function startProgress(options: ProgressOptions): Promise<Progress> {
  const { what, total, stream, logger } = options;
  if ((stream as NodeJS.WriteStream).isTTY !== true) {
    return {
      step: (label, ok, index, n) => logger.info({ step: label, ok }, `${what}: ${index} of ${n} done (${label}${ok ? '' : ', failed'})`),
      stop: () => undefined,
    };
  }
  const { SingleBar, Presets } = await import('cli-progress');
  // The bar writes cursor controls of its own; everything from outside in it (a calendar id) is
  // made printable first, as at the CLI's output boundary.
  const bar = new SingleBar(
    { format: `${printable(what)} [{bar}] {value}/{total} {label}`, stream, clearOnComplete: false, hideCursor: true, linewrap: false, etaBuffer: 20 },
    Presets.shades_classic,
  );
  // Drawn from the first step on: a cycle waiting for another process's lock says so first.
  let started = false;
  return {
    step: (label, ok) => {
      if (!started) bar.start(total, 0, { label: '' });
      started = true;
      bar.increment(1, { label: printable(`${label}${ok ? '' : ' (failed)'}`) });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
