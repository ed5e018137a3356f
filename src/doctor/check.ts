/**
 * What `meetsync doctor` finds: one line per check, with a remedy for every failure. `FAIL`
 * makes the doctor exit 1; `WARN` is worth reading but leaves meetsync working (a clock a few
 * minutes off, a migration still to apply, a credential there was no way to try); `skip` is a
 * check that could not run because one before it failed, which already says what to do.
 */
export type CheckStatus = 'ok' | 'WARN' | 'FAIL' | 'skip';

export interface Check {
  status: CheckStatus;
  /** What was checked: `config`, `database`, `Web Meeting platform`, `corp-google / alice@example.com`. */
  subject: string;
  /** What was found, in one line. */
  detail: string;
  /** What to do about it; present on every FAIL and WARN. */
  remedy?: string;
}

export interface DoctorReport {
  /** True when no check failed. */
  ok: boolean;
  config?: string;
  checks: Check[];
}

export const ok = (subject: string, detail: string): Check => ({ status: 'ok', subject, detail });
export const fail = (subject: string, detail: string, remedy: string): Check => ({ status: 'FAIL', subject, detail, remedy });
export const warn = (subject: string, detail: string, remedy: string): Check => ({ status: 'WARN', subject, detail, remedy });
export const skip = (subject: string, detail: string): Check => ({ status: 'skip', subject, detail });

export function reportOf(checks: Check[], config?: string): DoctorReport {
  return { ok: !checks.some((c) => c.status === 'FAIL'), ...(config ? { config } : {}), checks };
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', WARN: 'WARN', FAIL: 'FAIL', skip: '--  ' };

/** The text `meetsync doctor` prints: a line per check, the remedy indented under it, a verdict. */
export function renderDoctor(report: DoctorReport): string {
  return [...report.checks.map(renderCheck), '', renderVerdict(report)].join('\n');
}

/** One check: its line, and the remedy indented under a problem. */
export function renderCheck(c: Check): string {
  return `${LABEL[c.status]}  ${c.subject}: ${c.detail}${c.remedy && c.status !== 'ok' ? `\n      fix: ${c.remedy}` : ''}`;
}

/** The last line: all passed, or how many failed. */
export function renderVerdict(report: DoctorReport): string {
  const failed = report.checks.filter((c) => c.status === 'FAIL').length;
  const warned = report.checks.filter((c) => c.status === 'WARN').length;
  return failed === 0
    ? `All checks passed${warned ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}.`
    : `${failed} check${failed === 1 ? '' : 's'} failed${warned ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}: meetsync will not work until ${failed === 1 ? 'it is' : 'they are'} fixed.`;
}

/**
 * An adapter's error message split into what happened and what to do: the adapters write
 * "<what happened>; <what to do>" (calendars/google/auth.ts, outlook/auth.ts).
 */
export function splitRemedy(message: string, fallback: string): { detail: string; remedy: string } {
  const at = message.indexOf('; ');
  if (at < 0) return { detail: message, remedy: fallback };
  return { detail: message.slice(0, at), remedy: message.slice(at + 2) };
}

/** Runs `jobs` with at most `limit` at once, results in the order of `jobs`. */
export async function inPool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
