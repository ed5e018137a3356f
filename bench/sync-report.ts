import { TARGETS, type Counts } from './sync-traffic.js';
import { warmUpRounds, type ReplicasResult } from './sync-replicas.js';

/** The results of the real-path benchmark (sync-paths.ts), as written to JSON, and their table. */

export interface CycleResult {
  label: string;
  exitCode: number | null;
  wallMs: number;
  peakRssBytes: number | undefined;
  /** User + system CPU of the meetsync process, when GNU time measured it. */
  cpuMs?: number;
  /** CPU the simulators (this process) used during the cycle. */
  simulatorsCpuMs: number;
  /** TCP connections the simulators accepted during the cycle (keep-alive: far fewer than requests). */
  connections?: number;
  /** `meetsync --json sync`'s counts (outcomes and calendars only counted). */
  report: Record<string, unknown> | undefined;
  stderrTail?: string;
  requests: Counts;
  least: Counts;
  activeMappings: number;
  /** SQLite statements run by the meetsync process and rows they read and wrote (sqlite-counter.ts). */
  sqlite?: { statements: number; rowsRead: number; rowsWritten: number };
  /** For a cycle measured several times (the quiet one): each run's wall time; the median run is the one reported. */
  runsWallMs?: number[];
}

export interface SyncBenchResult {
  at: string;
  command: string;
  /** The store meetsync ran on (issue 17); absent in results from before PostgreSQL. */
  store?: 'sqlite' | 'postgres';
  /** meetsync processes serving the database at once in `replicated` (1: one process; absent before --replicas). */
  replicas?: number;
  /** The quiet cycle in one `meetsync run` daemon, warm (sync-replicas.ts); absent in older results. */
  daemon?: ReplicasResult;
  /** With --replicas N > 1: the quiet cycle across N `meetsync run` daemons (sync-replicas.ts). */
  replicated?: ReplicasResult;
  size: Record<string, number>;
  moved: number;
  engineConcurrency: number | 'sequential';
  floorConcurrency: number;
  machine: { cpus: number; loadAverage1m: { before: number; after: number }; node: string };
  seedMs: number;
  simulatorsInProcess: boolean;
  peakRssMethod: string;
  cycles: CycleResult[];
  floor: { ms: number; cpuMs: number; requests: number; bytes: number; notOk: number; concurrency: number; calendars: number; processWallMs: number; runsMs?: number[] };
}

/** Above this a cycle's SQLite rows are taken to grow with something other than its changes. */
const DB_ROWS_PER_CALENDAR = 4;
const DB_ROWS_CONSTANT = 100;
const DB_ROWS_PER_CHANGE = 10;
const RSS_LIMIT = 300 * 1024 * 1024;

function total(c: Counts): number {
  return TARGETS.reduce((n, t) => n + c[t], 0);
}

function ratio(actual: number, least: number): string {
  if (least === 0) return actual === 0 ? '1.00' : 'inf';
  return (actual / least).toFixed(2);
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'FAIL';
}

export function renderSummary(r: SyncBenchResult): string {
  const lines: string[] = [];
  lines.push(
    `\nsync paths: ${r.size.calendars} calendars x ${r.size.events} events (${r.size.calendars! / 2} Google, ${r.size.calendars! / 2} Outlook; ${r.size.accounts} platform accounts), ` +
      `engine concurrency: ${r.engineConcurrency}, floor concurrency: ${r.floorConcurrency}; ${r.machine.cpus} CPUs, load ${r.machine.loadAverage1m.before.toFixed(2)} -> ${r.machine.loadAverage1m.after.toFixed(2)}` +
      `${r.replicas !== undefined && r.replicas > 1 ? `; ${r.replicas} replicas` : ''}`,
  );
  for (const c of r.cycles) {
    const sql = c.sqlite ? `, SQLite ${c.sqlite.statements} statements, ${c.sqlite.rowsRead} rows read, ${c.sqlite.rowsWritten} written` : '';
    const rss = c.peakRssBytes === undefined ? '?' : `${(c.peakRssBytes / 1024 / 1024).toFixed(0)} MB`;
    const cpu = `${c.cpuMs === undefined ? '' : `meetsync CPU ${(c.cpuMs / 1000).toFixed(2)} s, `}simulators CPU ${(c.simulatorsCpuMs / 1000).toFixed(2)} s`;
    const runs = c.runsWallMs ? ` (median of ${c.runsWallMs.length} runs: ${c.runsWallMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s)` : '';
    lines.push(`\n${c.label}: exit ${c.exitCode}, ${(c.wallMs / 1000).toFixed(2)} s wall${runs} (${cpu}), peak RSS ${rss}, ${c.activeMappings} active mappings${sql}`);
    if (c.report) lines.push(`  meetsync: ${JSON.stringify(c.report)}`);
    if (c.stderrTail) lines.push(`  stderr (end): ${c.stderrTail.split('\n').slice(-4).join(' | ')}`);
    const widths = [34, 8, 8, 6];
    lines.push(`  ${pad([`requests at the simulators${c.connections === undefined ? '' : ` (${c.connections} connections)`}`, 'actual', 'least', 'ratio'], widths)}`);
    for (const t of TARGETS) {
      if (c.requests[t] === 0 && c.least[t] === 0) continue;
      lines.push(`  ${pad([t, String(c.requests[t]), String(c.least[t]), ratio(c.requests[t], c.least[t])], widths)}`);
    }
    lines.push(`  ${pad(['all', String(total(c.requests)), String(total(c.least)), ratio(total(c.requests), total(c.least))], widths)}`);
  }

  const [first, , quiet, moved] = r.cycles;
  const rows: Array<[string, string, string, boolean]> = [];
  for (const c of r.cycles) {
    const exact = TARGETS.every((t) => c.requests[t] === c.least[t]);
    rows.push([`requests / least: ${c.label}`, ratio(total(c.requests), total(c.least)), '1.00 (each target)', exact && c.exitCode === 0]);
  }
  if (quiet) {
    const platform = TARGETS.filter((t) => t.startsWith('platform')).reduce((n, t) => n + quiet.requests[t], 0);
    rows.push(['platform calls in the no-change cycle', String(platform), '0', platform === 0]);
    const x = quiet.wallMs / r.floor.ms;
    rows.push([
      `no-change wall time / floor (${(quiet.wallMs / 1000).toFixed(2)} s / ${(r.floor.ms / 1000).toFixed(2)} s)`,
      `${x.toFixed(2)}x`,
      '<= 1.50x',
      x <= 1.5,
    ]);
    // The cycle alone in that one-shot process: no process start or config load, but cold (nothing compiled yet).
    const cycleMs = typeof quiet.report?.durationMs === 'number' ? quiet.report.durationMs : undefined;
    if (cycleMs !== undefined) {
      const y = cycleMs / r.floor.ms;
      rows.push([`no-change cycle alone (one-shot process) / floor (${(cycleMs / 1000).toFixed(2)} s / ${(r.floor.ms / 1000).toFixed(2)} s)`, `${y.toFixed(2)}x`, '<= 1.50x', y <= 1.5]);
    }
  }
  // The cycle as `meetsync run` runs it every time: warm, in one daemon.
  const daemon = r.daemon;
  if (daemon) {
    const y = daemon.wallMs / r.floor.ms;
    rows.push([`no-change cycle in a running daemon / floor (${(daemon.wallMs / 1000).toFixed(2)} s / ${(r.floor.ms / 1000).toFixed(2)} s)`, `${y.toFixed(2)}x`, '<= 1.50x', y <= 1.5]);
  }
  const rep = r.replicated;
  // N replicas against one daemon's warm cycle (older results: the one-shot process's cycle alone).
  const oneMs = daemon?.wallMs ?? (typeof quiet?.report?.durationMs === 'number' ? quiet.report.durationMs : undefined);
  if (rep && oneMs !== undefined) {
    const z = rep.wallMs / oneMs;
    rows.push([`no-change round across ${rep.replicas} replicas / ${daemon ? "one daemon's cycle" : "one process's cycle alone"} (${(rep.wallMs / 1000).toFixed(2)} s / ${(oneMs / 1000).toFixed(2)} s)`, `${z.toFixed(2)}x`, '< 0.50x', z < 0.5]);
  }
  for (const d of [daemon, rep]) {
    if (!d) continue;
    const peak = Math.max(...d.perReplica.map((p) => p.peakRssBytes ?? Infinity));
    const what = d.replicas === 1 ? 'peak RSS of the daemon, no-change cycles' : `peak RSS per replica, no-change rounds (largest of ${d.replicas})`;
    rows.push([what, Number.isFinite(peak) ? `${(peak / 1024 / 1024).toFixed(0)} MB` : '?', '< 300 MB', peak < RSS_LIMIT]);
  }
  if (first?.peakRssBytes !== undefined) {
    rows.push(['peak RSS, first full sync', `${(first.peakRssBytes / 1024 / 1024).toFixed(0)} MB`, '< 300 MB', first.peakRssBytes < RSS_LIMIT]);
  }
  if (quiet?.sqlite) {
    const rowsQuiet = quiet.sqlite.rowsRead + quiet.sqlite.rowsWritten;
    const limit = DB_ROWS_PER_CALENDAR * r.size.calendars! + DB_ROWS_CONSTANT;
    rows.push([`SQLite rows, no-change cycle (${quiet.activeMappings} mappings)`, String(rowsQuiet), `<= ${limit} (${DB_ROWS_PER_CALENDAR}/calendar + ${DB_ROWS_CONSTANT})`, rowsQuiet <= limit]);
    if (moved?.sqlite) {
      const extra = moved.sqlite.rowsRead + moved.sqlite.rowsWritten - rowsQuiet;
      rows.push([`SQLite rows, moved cycle minus no-change`, String(extra), `<= ${DB_ROWS_PER_CHANGE * r.moved} (${DB_ROWS_PER_CHANGE}/change)`, extra <= DB_ROWS_PER_CHANGE * r.moved]);
    }
  }
  const widths = [Math.max(...rows.map((x) => x[0].length)), 12, 26, 4];
  lines.push(`\n${pad(['target', 'measured', 'goal', ''], widths)}`);
  for (const [name, measured, goal, ok] of rows) lines.push(pad([name, measured, goal, verdict(ok)], widths));
  lines.push(
    `\nfloor: ${r.floor.requests} bare GETs of the no-change cycle's reads (${r.floor.calendars} calendars, concurrency ${r.floor.concurrency}) in ${(r.floor.ms / 1000).toFixed(2)} s` +
      `${r.floor.runsMs ? ` (median of ${r.floor.runsMs.length} runs: ${r.floor.runsMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s)` : ''}, CPU ${(r.floor.cpuMs / 1000).toFixed(2)} s ` +
      `(${(r.floor.processWallMs / 1000).toFixed(2)} s with its process start), ${(r.floor.bytes / 1024 / 1024).toFixed(1)} MB, ${r.floor.notOk} not 200`,
  );
  lines.push(`peak RSS: ${r.peakRssMethod}; simulators in the benchmark process, meetsync and the floor each in a child process`);
  for (const rep of [daemon, r.replicated]) {
    if (!rep) continue;
    const s = (x: number) => (x / 1000).toFixed(2);
    lines.push(
      `\n${rep.replicas === 1 ? 'daemon: one meetsync run' : `replicas: ${rep.replicas} meetsync run daemons on one database`}, schedule "${rep.schedule}", shares settled after ${rep.roundsBeforeSettled} round(s) and ${warmUpRounds(rep.replicas)} more to warm up; ` +
        `no-change round across them ${s(rep.wallMs)} s (median of ${rep.runsWallMs.length} rounds: ${rep.runsWallMs.map(s).join(', ')} s; each round's cycles: ${rep.roundsCyclesMs.map((c) => c.map(s).join('/')).join(', ')} s; ` +
        `first cycle started ${rep.roundsStartLagMs.join(', ')} ms after the tick)`,
    );
    for (const p of rep.perReplica) {
      lines.push(`  replica pid ${p.pid}: ${p.calendars} calendars, peak RSS ${p.peakRssBytes === undefined ? '?' : `${(p.peakRssBytes / 1024 / 1024).toFixed(0)} MB`}, CPU ${p.cpuMs === undefined ? '?' : s(p.cpuMs)} s`);
    }
    lines.push(`  over the measured rounds (${s(rep.windowMs)} s): simulators CPU ${s(rep.simulatorsCpuMs)} s, load ${rep.loadAverage1m.before.toFixed(2)} -> ${rep.loadAverage1m.after.toFixed(2)}; peak RSS: ${rep.peakRssMethod}`);
  }
  return lines.join('\n');
}
