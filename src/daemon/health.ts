import cron from 'node-cron';
import { describeError } from '../domain/errors.js';
import type { CycleReport } from '../sync/engine.js';

/**
 * Whether the daemon is healthy, for `GET /healthz`: the last cycle succeeded and the last
 * success is recent. "Recent" is three schedule intervals, so one slow or skipped tick does not
 * page anyone, and a daemon whose cycles stopped running does.
 */

/** What became of one tick: it ran and succeeded, ran with a failure, or was skipped (another process's cycle). */
export type CycleResult = 'ok' | 'failed' | 'skipped';

/** Told by the daemon after every tick. */
export interface CycleOutcome {
  result: CycleResult;
  durationMs: number;
  /** Why a failed cycle failed, in one line without secrets. */
  error?: string;
  /** What a person must see to although the cycle succeeded: organizers the platform refused, one line each. */
  attention?: string[];
}

/**
 * A cycle succeeded when nothing in it failed, as `meetsync sync`'s exit code says, except for
 * failures scoped to one organizer (issue 15: the platform refused that organizer's user, the
 * key works): they hold that organizer's changes and nothing else, so the daemon is doing its
 * job and is not paged as down; they are named in `attention` (and in `status`, with the events).
 * An event meetsync cannot express is skipped with its reason, never failed.
 */
export function outcomeOf(report: CycleReport, durationMs: number): CycleOutcome {
  if (report.halted) return { result: 'failed', durationMs, error: report.halted.error };
  const calendar = report.calendars.find((c) => !c.ok);
  if (calendar) return { result: 'failed', durationMs, error: `${calendar.source}/${calendar.calendarId}: ${calendar.error ?? calendar.stopped ?? 'failed'}` };
  const failed = report.outcomes.filter((o) => o.outcome === 'failed');
  const unscoped = failed.filter((o) => o.scope !== 'organizer').length;
  if (unscoped > 0) return { result: 'failed', durationMs, error: `${unscoped} event action(s) failed (see the status page)` };
  const problem = report.problems[0];
  if (problem) return { result: 'failed', durationMs, error: problem };
  const held = failed.filter((o) => o.scope === 'organizer');
  if (held.length === 0) return { result: 'ok', durationMs };
  const attention = [...new Set(held.map((o) => o.reason ?? 'an organizer was refused by the platform'))];
  return { result: 'ok', durationMs, attention: attention.map((reason) => `${held.filter((o) => o.reason === reason).length} event(s) ${reason}`) };
}

export function errorOutcome(err: unknown, durationMs: number): CycleOutcome {
  return { result: 'failed', durationMs, error: describeError(err) };
}

/**
 * Three times the longest gap between the schedule's next runs: for `*\/5 * * * *` 15 minutes;
 * for a weekday-morning schedule the weekend gap counts, so Monday morning is not "stale".
 */
export function staleAfterMs(schedule: string): number {
  const task = cron.createTask(schedule, () => undefined);
  try {
    const runs = task.getNextRuns(8).map((d) => d.getTime());
    let longest = 60_000;
    for (let i = 1; i < runs.length; i += 1) longest = Math.max(longest, runs[i]! - runs[i - 1]!);
    return 3 * longest;
  } finally {
    void task.destroy();
  }
}

export interface HealthVerdict {
  healthy: boolean;
  body: { status: 'ok' | 'standby' | 'starting' | 'failing' | 'stale'; lastSuccessAt: string | null; reason?: string; lastCycleAt?: string; attention?: string[] };
}

export class CycleHealth {
  lastSuccessAt: Date | undefined;
  last: (CycleOutcome & { at: Date }) | undefined;
  private startedAt: Date;
  private standingBy = false;

  constructor(
    readonly staleAfter: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = new Date(now());
  }

  record(outcome: CycleOutcome): void {
    // A skipped tick says nothing about this daemon's health: another process ran the cycle.
    if (outcome.result === 'skipped') return;
    const at = new Date(this.now());
    this.last = { ...outcome, at };
    if (outcome.result === 'ok') this.lastSuccessAt = at;
  }

  /** Standing by while another `meetsync run` serves the database; serving from now on (the "starting" clock starts again). */
  role(role: 'standby' | 'serving'): void {
    if (this.standingBy && role === 'serving') this.startedAt = new Date(this.now());
    this.standingBy = role === 'standby';
  }

  verdict(): HealthVerdict {
    const lastSuccessAt = this.lastSuccessAt?.toISOString() ?? null;
    // Healthy (200): a standby is alive and doing its job; a liveness probe that restarted it
    // would gain nothing. Whether the database is served is the serving daemon's /healthz.
    if (this.standingBy) {
      return { healthy: true, body: { status: 'standby', lastSuccessAt, reason: 'another meetsync run serves this database; this one takes over when it stops' } };
    }
    const lastCycleAt = this.last?.at.toISOString();
    const minutes = Math.round(this.staleAfter / 60_000);
    if (!this.last) {
      return { healthy: false, body: { status: 'starting', lastSuccessAt, reason: `no sync cycle has finished since the daemon started at ${this.startedAt.toISOString()}` } };
    }
    if (this.last.result === 'failed') {
      return { healthy: false, body: { status: 'failing', lastSuccessAt, ...(lastCycleAt ? { lastCycleAt } : {}), reason: `the last sync cycle failed: ${this.last.error ?? 'unknown error'}` } };
    }
    if (!this.lastSuccessAt || this.now() - this.lastSuccessAt.getTime() > this.staleAfter) {
      return { healthy: false, body: { status: 'stale', lastSuccessAt, reason: `no successful sync cycle in the last ${minutes} minutes (three schedule intervals)` } };
    }
    const attention = this.last.attention;
    return { healthy: true, body: { status: 'ok', lastSuccessAt, ...(attention?.length ? { attention } : {}) } };
  }
}
