import { renderCheck, renderVerdict, type Check, type DoctorReport } from '../doctor/check.js';
import { printable } from '../domain/printable.js';
import { out, type CliIo } from './output.js';

/**
 * `meetsync doctor`'s text as it happens: each check printed when it finishes (with 650
 * calendars, nothing at all appeared for a minute when the report was printed at the end), and
 * on a terminal one line that rewrites itself with the long part's progress
 * (`checking calendars: 120/650`), erased before each check line and at the end. Piped, only the
 * check lines: a file or a script gets no carriage returns.
 */

/** Redraws of the progress line at most this often; a check line redraws it at once. */
const REDRAW_MS = 100;

export interface DoctorOutput {
  check(check: Check): void;
  progress(progress: { what: string; done: number; total: number }): void;
  /** The verdict, after every check. */
  finish(report: DoctorReport): void;
}

export function doctorOutput(io: CliIo, now: () => number = Date.now): DoctorOutput {
  const tty = (io.stdout as NodeJS.WriteStream).isTTY === true;
  let line: string | undefined;
  let shown = false;
  let drawnAt = 0;
  let later: NodeJS.Timeout | undefined;
  // Cursor controls written here, and only here; the text in them went through `printable`.
  const erase = () => {
    if (shown) io.stdout.write('\r\u001b[2K');
    shown = false;
  };
  const draw = () => {
    clearTimeout(later);
    later = undefined;
    if (!tty || line === undefined) return;
    io.stdout.write(`\r\u001b[2K${printable(line)}`);
    shown = true;
    drawnAt = now();
  };
  return {
    check(check) {
      erase();
      out(io, renderCheck(check));
      draw();
    },
    progress({ what, done, total }) {
      if (!tty) return;
      if (done >= total) {
        line = undefined;
        clearTimeout(later);
        erase();
        return;
      }
      line = `${what}: ${done}/${total}`;
      const wait = done === 0 ? 0 : drawnAt + REDRAW_MS - now();
      if (wait <= 0) draw();
      // Throttled: drawn a little later, so a slow calendar after a fast run shows the count reached.
      else later ??= setTimeout(draw, wait).unref();
    },
    finish(report) {
      line = undefined;
      clearTimeout(later);
      erase();
      out(io, `\n${renderVerdict(report)}`);
    },
  };
}
